using System.Text.Json;
using System.Text.RegularExpressions;
using Raven.Server.Tests.Infrastructure;

namespace Raven.Server.Tests.Realtime;

/// <summary>The examples and error cases of docs/websocket-events.md, played with the official client.</summary>
public sealed partial class SeedContractTests(RealtimeFixture fixture) : SharedServerTests(fixture)
{
    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")]
    private static partial Regex IsoUtc();

    [Theory]
    [InlineData("websocket")]
    [InlineData("polling")]
    public async Task Connect_join_send_text_and_file_then_leave(string transport)
    {
        var alice = await UserAsync();
        var bob = await UserAsync();
        var conversation = await GroupAsync(alice, bob);
        var a = await ConnectAsync(alice, transport);
        var b = await ConnectAsync(bob, transport);
        Assert.Equal(transport, await a.GetTransportAsync());

        var joined = await JoinAsync(a, conversation);
        Assert.Equal(conversation, Id(joined, "conversation_id"));
        Assert.Equal(alice.Id, Id(joined, "user_id"));
        Assert.Equal(alice.Username, Id(joined, "username"));

        await JoinAsync(b, conversation);
        var userJoined = (await a.WaitForEventAsync("user_joined")).Arg(0);
        Assert.Equal(bob.Id, Id(userJoined, "user_id"));
        Assert.Equal(bob.Username, Id(userJoined, "username"));
        Assert.Equal(conversation, Id(userJoined, "conversation_id"));

        // Text message: every room member gets it, the sender included (seed: "Includes the sender").
        await a.EmitAsync("send_message", new { conversation_id = conversation, text = "Hello, everyone!" });
        var atBob = (await WaitForMessageAsync(b, "Hello, everyone!")).Arg(0);
        var atAlice = (await WaitForMessageAsync(a, "Hello, everyone!")).Arg(0);
        Assert.Equal(atBob.GetRawText(), atAlice.GetRawText());
        Assert.Equal(24, Id(atBob, "id")!.Length);
        Assert.Equal(conversation, Id(atBob, "conversationId"));
        Assert.Equal(alice.Id, Id(atBob, "senderId"));
        Assert.Equal(alice.Username, Id(atBob, "senderName"));
        Assert.Equal(JsonValueKind.Null, atBob.GetProperty("url").ValueKind);
        Assert.Equal(JsonValueKind.Null, atBob.GetProperty("fileName").ValueKind);
        Assert.Matches(IsoUtc(), Id(atBob, "createdAt"));

        // File message.
        await a.EmitAsync("send_message", new { conversation_id = conversation, url = "https://cdn.example.com/files/document.pdf", fileName = "document.pdf" });
        var file = (await b.WaitForEventAsync("new_message", predicate: e => Id(e.Arg(0), "fileName") == "document.pdf")).Arg(0);
        Assert.Equal("https://cdn.example.com/files/document.pdf", Id(file, "url"));
        Assert.Equal(JsonValueKind.Null, file.GetProperty("text").ValueKind);

        // Both were stored before the broadcast: the history has them, newest first.
        var history = (await bob.Api.GetAsync($"/api/v1/messages/conversation/{conversation}?limit=20")).Data;
        Assert.Equal(new[] { Id(file, "id"), Id(atBob, "id") }, history.EnumerateArray().Select(m => Id(m, "id")));

        await b.EmitAsync("leave_conversation", new { conversation_id = conversation });
        var left = (await b.WaitForEventAsync("left_conversation")).Arg(0);
        Assert.Equal(conversation, Id(left, "conversation_id"));
        Assert.Equal(bob.Id, Id(left, "user_id"));
        var userLeft = (await a.WaitForEventAsync("user_left")).Arg(0);
        Assert.Equal(bob.Id, Id(userLeft, "user_id"));

        // Bob left the room: in room scope he no longer receives its messages.
        await SendAsync(a, conversation, "after bob left");
        await SyncAsync(b);
        Assert.DoesNotContain(b.EventsNamed("new_message"), e => Id(e.Arg(0), "text") == "after bob left");
    }

    [Fact]
    public async Task Connect_errors_carry_the_exact_code_as_message_and_code_message_as_data()
    {
        var user = await UserAsync();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var cases = new (object Options, string Code)[]
        {
            (new { }, "AUTHENTICATION_REQUIRED"),
            (new { auth = new { token = "" } }, "AUTHENTICATION_REQUIRED"),
            (new { auth = new { token = "not.a.jwt" } }, "INVALID_TOKEN"),
            (new { auth = new { token = 12345 } }, "INVALID_TOKEN"),
            (new { auth = new { token = RavenTestServer.SignJwt(new { userId = user.Id, username = user.Username, iat = now - 60, exp = now + 3600 }, "another-secret") } }, "INVALID_TOKEN"),
            (new { auth = new { token = RavenTestServer.SignJwt(new { userId = user.Id, username = user.Username, iat = now - 7200, exp = now - 3600 }) } }, "TOKEN_EXPIRED"),
            // Well signed and current, but the user does not exist.
            (new { auth = new { token = RavenTestServer.SignJwt(new { userId = NewObjectId(), username = "ghost", iat = now - 60, exp = now + 3600 }) } }, "INVALID_TOKEN"),
        };

        foreach (var (options, code) in cases)
        {
            var merged = JsonSerializer.SerializeToNode(options)!.AsObject();
            merged["transports"] = new System.Text.Json.Nodes.JsonArray("websocket");
            merged["forceNew"] = true;
            merged["reconnection"] = false;
            var error = await ConnectErrorAsync(merged);
            Assert.True(code == error.Message, $"{options}: expected {code}, got {error.Message}");
            Assert.Equal(code, error.Data.GetProperty("code").GetString());
            Assert.False(string.IsNullOrEmpty(error.Data.GetProperty("message").GetString()));
        }
    }

    [Fact]
    public async Task Join_failures_are_JOIN_FAILED_and_PERMISSION_DENIED_with_details()
    {
        var alice = await UserAsync();
        var bob = await UserAsync();
        var outsider = await UserAsync();
        var conversation = await GroupAsync(alice, bob);
        var c = await ConnectAsync(outsider);

        await c.EmitAsync("join_conversation", new { });
        var missing = await WaitForErrorAsync(c);
        Assert.Equal("JOIN_FAILED", Id(missing, "code"));
        Assert.Contains("conversation_id is required", Id(missing, "message"));

        await c.EmitAsync("join_conversation", new { conversation_id = "123" });
        Assert.Equal("JOIN_FAILED", Id(await WaitForErrorAsync(c), "code"));

        await c.EmitAsync("join_conversation", new { conversation_id = NewObjectId() });
        var notFound = await WaitForErrorAsync(c);
        Assert.Equal("JOIN_FAILED", Id(notFound, "code"));
        Assert.False(string.IsNullOrEmpty(Id(notFound, "details")));

        await c.EmitAsync("join_conversation", new { conversation_id = conversation });
        var denied = await WaitForErrorAsync(c);
        Assert.Equal("PERMISSION_DENIED", Id(denied, "code"));
        Assert.False(string.IsNullOrEmpty(Id(denied, "message")));
        Assert.Empty(c.EventsNamed("joined_conversation"));

        // A deleted conversation cannot be joined either.
        var a = await ConnectAsync(alice);
        var doomed = await GroupAsync(alice, bob);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await alice.Api.DeleteAsync($"/api/v1/conversations/{doomed}")).Status);
        await a.EmitAsync("join_conversation", new { conversation_id = doomed });
        Assert.Equal("JOIN_FAILED", Id(await WaitForErrorAsync(a), "code"));
    }

    [Fact]
    public async Task Send_failures_are_SEND_MESSAGE_FAILED_or_PERMISSION_DENIED_and_nothing_is_stored()
    {
        var alice = await UserAsync();
        var bob = await UserAsync();
        var outsider = await UserAsync();
        var conversation = await GroupAsync(alice, bob);
        var a = await ConnectAsync(alice);
        var c = await ConnectAsync(outsider);

        await a.EmitAsync("send_message", new { conversation_id = conversation });
        var empty = await WaitForErrorAsync(a);
        Assert.Equal("SEND_MESSAGE_FAILED", Id(empty, "code"));

        await a.EmitAsync("send_message", new { conversation_id = conversation, text = "   ", url = (string?)null, fileName = (string?)null });
        Assert.Equal("SEND_MESSAGE_FAILED", Id(await WaitForErrorAsync(a), "code"));

        // MAX_MESSAGE_LENGTH (5000 by default).
        await a.EmitAsync("send_message", new { conversation_id = conversation, text = new string('x', 5001) });
        var tooLong = await WaitForErrorAsync(a);
        Assert.Equal("SEND_MESSAGE_FAILED", Id(tooLong, "code"));
        Assert.Contains("5000", Id(tooLong, "message"));

        await a.EmitAsync("send_message", new { text = "no conversation" });
        Assert.Equal("SEND_MESSAGE_FAILED", Id(await WaitForErrorAsync(a), "code"));

        await a.EmitAsync("send_message", new { conversation_id = NewObjectId(), text = "nowhere" });
        Assert.Equal("SEND_MESSAGE_FAILED", Id(await WaitForErrorAsync(a), "code"));

        await c.EmitAsync("send_message", new { conversation_id = conversation, text = "intruder" });
        Assert.Equal("PERMISSION_DENIED", Id(await WaitForErrorAsync(c), "code"));

        var history = (await alice.Api.GetAsync($"/api/v1/messages/conversation/{conversation}")).Data;
        Assert.Empty(history.EnumerateArray());
        Assert.Empty(a.EventsNamed("new_message"));

        // Exactly 5000 characters is fine.
        var ok = await SendAsync(a, conversation, new string('y', 5000));
        Assert.Equal(5000, Id(ok, "text")!.Length);
    }

    [Fact]
    public async Task Leave_without_a_valid_id_is_LEAVE_FAILED_and_leaving_an_unjoined_room_tells_nobody()
    {
        var alice = await UserAsync();
        var bob = await UserAsync();
        var outsider = await UserAsync();
        var conversation = await GroupAsync(alice, bob);
        var a = await ConnectAsync(alice);
        var c = await ConnectAsync(outsider);
        await JoinAsync(a, conversation);

        await c.EmitAsync("leave_conversation", new { });
        Assert.Equal("LEAVE_FAILED", Id(await WaitForErrorAsync(c), "code"));
        await c.EmitAsync("leave_conversation", new { conversation_id = "not-an-id" });
        Assert.Equal("LEAVE_FAILED", Id(await WaitForErrorAsync(c), "code"));

        // The web client waits for left_conversation, so it always comes; but a socket that never joined
        // must not be able to announce itself to the room's members.
        await c.EmitAsync("leave_conversation", new { conversation_id = conversation });
        await c.WaitForEventAsync("left_conversation");
        await SyncAsync(a);
        Assert.Empty(a.EventsNamed("user_left"));
    }
}
