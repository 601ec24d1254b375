using System.Text.Json;
using Raven.Testing;

namespace Raven.Server.Tests.Realtime;

/// <summary>Acknowledgement callbacks and payloads of the wrong type or shape.</summary>
public sealed class AckAndPayloadTests(RealtimeFixture fixture) : SharedServerTests(fixture)
{
    private static readonly TimeSpan AckTimeout = NodeDriver.DefaultTimeout;

    [Fact]
    public async Task Acks_answer_ok_true_with_data_and_ok_false_with_error_instead_of_an_error_event()
    {
        var alice = await UserAsync();
        var bob = await UserAsync();
        var outsider = await UserAsync();
        var conversation = await GroupAsync(alice, bob);
        var a = await ConnectAsync(alice);
        var c = await ConnectAsync(outsider);

        var join = (await a.EmitWithAckAsync("join_conversation", AckTimeout, new { conversation_id = conversation })).Single();
        Assert.True(join.GetProperty("ok").GetBoolean());
        Assert.Equal(conversation, Id(join.GetProperty("data"), "conversation_id"));
        Assert.Equal(alice.Id, Id(join.GetProperty("data"), "user_id"));
        Assert.Equal(alice.Username, Id(join.GetProperty("data"), "username"));
        // The success event still comes: other parts of a client listen to it.
        await a.WaitForEventAsync("joined_conversation");

        var send = (await a.EmitWithAckAsync("send_message", AckTimeout, new { conversation_id = conversation, text = "acked" })).Single();
        Assert.True(send.GetProperty("ok").GetBoolean());
        var data = send.GetProperty("data");
        var broadcast = (await WaitForMessageAsync(a, "acked")).Arg(0);
        Assert.Equal(broadcast.GetRawText(), data.GetRawText());

        var leave = (await a.EmitWithAckAsync("leave_conversation", AckTimeout, new { conversation_id = conversation })).Single();
        Assert.True(leave.GetProperty("ok").GetBoolean());
        Assert.Equal(conversation, Id(leave.GetProperty("data"), "conversation_id"));

        var beat = (await a.EmitWithAckAsync("heartbeat", AckTimeout, new { timestamp = 1 })).Single();
        Assert.True(beat.GetProperty("ok").GetBoolean());
        Assert.Equal("online", Id(beat.GetProperty("data"), "status"));

        // Failures: through the callback only.
        var cases = new (string Event, object Payload, string Code)[]
        {
            ("join_conversation", new { conversation_id = conversation }, "PERMISSION_DENIED"),
            ("join_conversation", new { conversation_id = "nope" }, "JOIN_FAILED"),
            ("send_message", new { conversation_id = conversation, text = "intruder" }, "PERMISSION_DENIED"),
            ("send_message", new { conversation_id = conversation }, "SEND_MESSAGE_FAILED"),
            ("leave_conversation", 42, "LEAVE_FAILED"),
        };
        foreach (var (name, payload, code) in cases)
        {
            var reply = (await c.EmitWithAckAsync(name, AckTimeout, payload)).Single();
            Assert.False(reply.GetProperty("ok").GetBoolean(), reply.ToString());
            Assert.False(reply.TryGetProperty("data", out _));
            Assert.Equal(code, Id(reply.GetProperty("error"), "code"));
            Assert.False(string.IsNullOrEmpty(Id(reply.GetProperty("error"), "message")));
        }

        // Without a callback the same failure is an error event; it is the first error event this socket saw.
        await c.EmitAsync("join_conversation", new { conversation_id = "marker" });
        var error = await WaitForErrorAsync(c);
        Assert.Equal("JOIN_FAILED", Id(error, "code"));
        Assert.Single(c.EventsNamed("error"));
    }

    private static IEnumerable<(string Event, string Json, string Code)> WrongShapes()
    {
        var id = Raven.Chat.ObjectIds.NewId();
        foreach (var (name, code) in new[] { ("join_conversation", "JOIN_FAILED"), ("leave_conversation", "LEAVE_FAILED"), ("send_message", "SEND_MESSAGE_FAILED") })
        {
            foreach (var json in new[]
            {
                "(none)", "null", "\"507f1f77bcf86cd799439011\"", "42", "true", "[]", $"[\"{id}\"]",
                "{}", "{\"conversation_id\":null}", "{\"conversation_id\":123}", "{\"conversation_id\":[\"a\"]}",
                "{\"conversation_id\":{\"$oid\":\"x\"}}", "{\"conversation_id\":\"507F1F77BCF86CD799439011\"}", "{\"conversation_id\":\"\"}",
            })
            {
                yield return (name, json, code);
            }
        }

        yield return ("send_message", $"{{\"conversation_id\":\"{id}\",\"text\":5}}", "SEND_MESSAGE_FAILED");
        yield return ("send_message", $"{{\"conversation_id\":\"{id}\",\"text\":{{\"a\":1}}}}", "SEND_MESSAGE_FAILED");
        yield return ("send_message", $"{{\"conversation_id\":\"{id}\",\"url\":[\"x\"]}}", "SEND_MESSAGE_FAILED");
        yield return ("send_message", $"{{\"conversation_id\":\"{id}\",\"fileName\":false}}", "SEND_MESSAGE_FAILED");
    }

    [Fact]
    public async Task Wrong_payload_shapes_get_the_events_error_code_and_the_socket_keeps_working()
    {
        var user = await UserAsync();
        var other = await UserAsync();
        var conversation = await GroupAsync(user, other);
        var client = await ConnectAsync(user);

        foreach (var (eventName, json, code) in WrongShapes())
        {
            var what = $"{eventName} {json}";
            object?[] args = json == "(none)" ? [] : [JsonDocument.Parse(json).RootElement];
            await client.EmitAsync(eventName, args);
            var error = await WaitForErrorAsync(client);
            Assert.True(code == Id(error, "code"), $"{what}: {error}");
            Assert.False(string.IsNullOrEmpty(Id(error, "message")), what);

            // Same with an ack.
            var reply = (await client.EmitWithAckAsync(eventName, AckTimeout, args)).Single();
            Assert.False(reply.GetProperty("ok").GetBoolean(), what);
            Assert.True(code == Id(reply.GetProperty("error"), "code"), $"{what}: {reply}");
        }

        // Still connected and serving.
        await JoinAsync(client, conversation);
        Assert.Empty(client.EventsNamed("disconnect"));
        Assert.Empty(client.EventsNamed("new_message"));
    }

    [Fact]
    public async Task Binary_and_extra_arguments_do_not_confuse_the_handlers()
    {
        var user = await UserAsync();
        var other = await UserAsync();
        var conversation = await GroupAsync(user, other);
        var client = await ConnectAsync(user);

        await client.EmitAsync("join_conversation", new byte[] { 1, 2, 3 });
        Assert.Equal("JOIN_FAILED", Id(await WaitForErrorAsync(client), "code"));

        // Extra arguments after the payload are ignored; unknown properties too.
        await client.EmitAsync("send_message", new { conversation_id = conversation, text = "extra", mood = "happy" }, "second", 3);
        await WaitForMessageAsync(client, "extra");
        Assert.Single(client.EventsNamed("error"));
    }
}
