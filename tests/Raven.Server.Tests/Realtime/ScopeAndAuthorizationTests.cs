using System.Net;
using Raven.Server.Tests.Infrastructure;
using Raven.Testing;

namespace Raven.Server.Tests.Realtime;

/// <summary>A server with MESSAGE_SCOPE=participants and CORS_ORIGIN set, plus its own driver.</summary>
public sealed class ParticipantsScopeFixture : RealtimeFixture
{
    public const string Origin = "http://127.0.0.1:3001";

    protected override IReadOnlyDictionary<string, string> Settings { get; } =
        new Dictionary<string, string> { ["MESSAGE_SCOPE"] = "participants", ["CORS_ORIGIN"] = Origin };
}

/// <summary>MESSAGE_SCOPE=participants (the original server's delivery) and the socket half of the authorization matrix.</summary>
public sealed class ParticipantsScopeTests(ParticipantsScopeFixture fixture) : OwnServerTests<ParticipantsScopeFixture>(fixture)
{
    [Fact]
    public async Task New_message_reaches_every_online_participant_socket_joined_or_not_and_no_one_else()
    {
        var alice = await UserAsync();
        var bob = await UserAsync();
        var outsider = await UserAsync();
        var conversation = await GroupAsync(alice, bob);
        var a = await ConnectAsync(alice);
        var bobTab1 = await ConnectAsync(bob);
        var bobTab2 = await ConnectAsync(bob, "polling");
        var c = await ConnectAsync(outsider);

        // Nobody joined anything, the sender included.
        await SendAsync(a, conversation, "to participants");
        await WaitForMessageAsync(a, "to participants");
        await WaitForMessageAsync(bobTab1, "to participants");
        await WaitForMessageAsync(bobTab2, "to participants");

        // REST sends are delivered identically.
        Assert.Equal(HttpStatusCode.Created, (await alice.Api.PostAsync($"/api/v1/messages/conversation/{conversation}", new { text = "rest to participants" })).Status);
        await WaitForMessageAsync(bobTab1, "rest to participants");
        await WaitForMessageAsync(a, "rest to participants");

        await SyncAsync(c);
        Assert.Empty(c.EventsNamed("new_message"));
    }

    [Fact]
    public async Task A_non_participant_can_never_join_send_or_receive()
    {
        await AssertNonParticipantIsShutOutAsync();
    }

    [Fact]
    public async Task Socket_endpoint_answers_cors_like_rest_for_the_configured_origin_only()
    {
        using var http = new HttpClient { BaseAddress = new Uri(Server.BaseUrl) };
        using var allowed = new HttpRequestMessage(HttpMethod.Get, "/socket.io/?EIO=4&transport=polling");
        allowed.Headers.Add("Origin", ParticipantsScopeFixture.Origin);
        using var response = await http.SendAsync(allowed);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([ParticipantsScopeFixture.Origin], response.Headers.GetValues("Access-Control-Allow-Origin"));
        Assert.Equal(["true"], response.Headers.GetValues("Access-Control-Allow-Credentials"));
        Assert.StartsWith("0{", await response.Content.ReadAsStringAsync());

        using var foreign = new HttpRequestMessage(HttpMethod.Get, "/socket.io/?EIO=4&transport=polling");
        foreign.Headers.Add("Origin", "http://evil.example");
        using var denied = await http.SendAsync(foreign);
        Assert.False(denied.Headers.Contains("Access-Control-Allow-Origin"));
    }

    private async Task AssertNonParticipantIsShutOutAsync()
    {
        var alice = await UserAsync();
        var bob = await UserAsync();
        var outsider = await UserAsync();
        var conversation = await GroupAsync(alice, bob);
        var a = await ConnectAsync(alice);
        var b = await ConnectAsync(bob);
        var c = await ConnectAsync(outsider);
        var cPolling = await ConnectAsync(outsider, "polling");
        await JoinAsync(a, conversation);
        await JoinAsync(b, conversation);

        foreach (var intruder in new[] { c, cPolling })
        {
            await intruder.EmitAsync("join_conversation", new { conversation_id = conversation });
            Assert.Equal("PERMISSION_DENIED", Id(await WaitForErrorAsync(intruder), "code"));
            var reply = (await intruder.EmitWithAckAsync("join_conversation", NodeDriver.DefaultTimeout, new { conversation_id = conversation })).Single();
            Assert.False(reply.GetProperty("ok").GetBoolean());
            await intruder.EmitAsync("send_message", new { conversation_id = conversation, text = "let me in" });
            Assert.Equal("PERMISSION_DENIED", Id(await WaitForErrorAsync(intruder), "code"));
            // Leaving a room it never joined changes nothing either.
            await intruder.EmitAsync("leave_conversation", new { conversation_id = conversation });
            await intruder.WaitForEventAsync("left_conversation");
        }

        await SendAsync(a, conversation, "members only");
        Assert.Equal(HttpStatusCode.Created, (await bob.Api.PostAsync($"/api/v1/messages/conversation/{conversation}", new { text = "members only (rest)" })).Status);
        await WaitForMessageAsync(b, "members only");
        var restMessage = (await WaitForMessageAsync(a, "members only (rest)")).Arg(0);
        Assert.Equal(HttpStatusCode.OK, (await bob.Api.DeleteAsync($"/api/v1/messages/{Id(restMessage, "id")}")).Status);
        await a.WaitForEventAsync("message_deleted");

        foreach (var intruder in new[] { c, cPolling })
        {
            await SyncAsync(intruder);
            Assert.Empty(intruder.EventsNamed("new_message"));
            Assert.Empty(intruder.EventsNamed("joined_conversation"));
            Assert.Empty(intruder.EventsNamed("user_joined"));
            Assert.Empty(intruder.EventsNamed("message_deleted"));
        }

        Assert.DoesNotContain((await alice.Api.GetAsync($"/api/v1/messages/conversation/{conversation}")).Data.EnumerateArray(), m => Id(m, "text") == "let me in");
    }
}

/// <summary>The same authorization matrix under the default room scope.</summary>
public sealed class RoomScopeAuthorizationTests(RealtimeFixture fixture) : SharedServerTests(fixture)
{
    [Fact]
    public async Task A_non_participant_can_never_join_send_or_receive()
    {
        var alice = await UserAsync();
        var bob = await UserAsync();
        var outsider = await UserAsync();
        var conversation = await GroupAsync(alice, bob);
        var a = await ConnectAsync(alice);
        var b = await ConnectAsync(bob);
        var c = await ConnectAsync(outsider);
        await JoinAsync(a, conversation);
        await JoinAsync(b, conversation);

        await c.EmitAsync("join_conversation", new { conversation_id = conversation });
        Assert.Equal("PERMISSION_DENIED", Id(await WaitForErrorAsync(c), "code"));
        await c.EmitAsync("send_message", new { conversation_id = conversation, text = "let me in" });
        Assert.Equal("PERMISSION_DENIED", Id(await WaitForErrorAsync(c), "code"));

        await SendAsync(a, conversation, "members only");
        Assert.Equal(HttpStatusCode.Created, (await bob.Api.PostAsync($"/api/v1/messages/conversation/{conversation}", new { text = "members only (rest)" })).Status);
        await WaitForMessageAsync(b, "members only");
        var restMessage = (await WaitForMessageAsync(a, "members only (rest)")).Arg(0);
        Assert.Equal(HttpStatusCode.OK, (await bob.Api.DeleteAsync($"/api/v1/messages/{Id(restMessage, "id")}")).Status);
        await a.WaitForEventAsync("message_deleted");

        await SyncAsync(c);
        Assert.Empty(c.EventsNamed("new_message"));
        Assert.Empty(c.EventsNamed("message_deleted"));
        Assert.Empty(c.EventsNamed("joined_conversation"));
        Assert.Empty(c.EventsNamed("user_joined"));
    }

    [Fact]
    public async Task A_member_removed_over_rest_stops_receiving_although_its_socket_had_joined()
    {
        var owner = await UserAsync();
        var removed = await UserAsync();
        var stays = await UserAsync();
        var conversation = await GroupAsync(owner, removed, stays);
        var o = await ConnectAsync(owner);
        var r = await ConnectAsync(removed);
        var s = await ConnectAsync(stays);
        foreach (var client in new[] { o, r, s })
        {
            await JoinAsync(client, conversation);
        }

        await SendAsync(o, conversation, "before removal");
        await WaitForMessageAsync(r, "before removal");

        Assert.Equal(HttpStatusCode.OK, (await owner.Api.DeleteAsync($"/api/v1/conversations/{conversation}/user", new { userId = removed.Id })).Status);
        await SendAsync(o, conversation, "after removal");
        Assert.Equal(HttpStatusCode.Created, (await stays.Api.PostAsync($"/api/v1/messages/conversation/{conversation}", new { text = "after removal (rest)" })).Status);
        await WaitForMessageAsync(s, "after removal");
        await WaitForMessageAsync(o, "after removal (rest)");

        await SyncAsync(r);
        Assert.Equal(new[] { "before removal" }, r.EventsNamed("new_message").Select(e => Id(e.Arg(0), "text")));

        // And it cannot simply join again.
        await r.EmitAsync("join_conversation", new { conversation_id = conversation });
        Assert.Equal("PERMISSION_DENIED", Id(await WaitForErrorAsync(r), "code"));
    }
}
