using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Raven.Testing;
using Xunit.Abstractions;

namespace Raven.Server.Tests.Realtime;

/// <summary>
/// Random payloads for every chat event through the official client over WebSocket and polling. Each acknowledged
/// event must answer <c>{ok:true,data}</c> or <c>{ok:false,error:{code,message}}</c>, the socket must stay connected
/// and answer a heartbeat after every batch, and exactly the acknowledged messages must be in the history.
/// The seed is printed; set RAVEN_FUZZ_SEED to replay a run.
/// </summary>
public sealed partial class ChatHandlerFuzzTests(RealtimeFixture fixture, ITestOutputHelper output) : SharedServerTests(fixture)
{
    private static readonly string[] Events = ["join_conversation", "leave_conversation", "send_message", "heartbeat"];

    [Theory]
    [InlineData("websocket")]
    [InlineData("polling")]
    public async Task Random_payloads_get_a_well_formed_ack_and_never_break_the_socket(string transport)
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("RAVEN_FUZZ_SEED"), out var fixedSeed) ? fixedSeed : Random.Shared.Next();
        output.WriteLine($"RAVEN_FUZZ_SEED={seed} ({transport})");
        var random = new Random(seed);
        var alice = await UserAsync("fuzz");
        var bob = await UserAsync("fuzzbob");
        var conversation = await GroupAsync(alice, bob);
        var client = await ConnectAsync(alice, transport);
        var stored = 0;

        for (var round = 0; round < 120; round++)
        {
            var name = Events[random.Next(Events.Length)];
            var payload = Payload(random, conversation);
            var context = $"seed {seed}, round {round}: {name} {payload?.ToJsonString() ?? "(no argument)"}";
            if (random.Next(8) == 0)
            {
                // Without an ack, and sometimes an event nobody handles: only the connection's survival is checked.
                // (Never send_message: an unacknowledged send could be stored and spoil the exact count below.)
                var target = random.Next(3) == 0 || name == "send_message" ? "fuzz_" + random.Next(1000) : name;
                await (payload is null ? client.EmitAsync(target) : client.EmitAsync(target, payload));
                continue;
            }

            var reply = (payload is null
                ? await client.EmitWithAckAsync(name, NodeDriver.DefaultTimeout)
                : await client.EmitWithAckAsync(name, NodeDriver.DefaultTimeout, payload)).Single();
            Assert.True(reply.ValueKind == JsonValueKind.Object && reply.TryGetProperty("ok", out var ok) && ok.ValueKind is JsonValueKind.True or JsonValueKind.False, $"{context} -> {reply}");
            if (reply.GetProperty("ok").GetBoolean())
            {
                Assert.True(reply.TryGetProperty("data", out _), $"{context} -> {reply}");
                if (name == "send_message")
                {
                    stored++;
                }
            }
            else
            {
                var code = reply.GetProperty("error").GetProperty("code").GetString() ?? "";
                Assert.True(ErrorCode().IsMatch(code), $"{context} -> {reply}");
                Assert.False(string.IsNullOrEmpty(reply.GetProperty("error").GetProperty("message").GetString()), $"{context} -> {reply}");
            }

            if (round % 10 == 9)
            {
                await SyncAsync(client);
                Assert.Empty(client.EventsNamed("disconnect"));
            }
        }

        await SyncAsync(client);
        Assert.Empty(client.EventsNamed("disconnect"));

        // Exactly the acknowledged sends were stored: nothing half-written, nothing extra.
        var history = await alice.Api.GetAsync($"/api/v1/messages/conversation/{conversation}?limit=100");
        Assert.Equal(HttpStatusCode.OK, history.Status);
        Assert.True(stored == history.Body.GetProperty("data").GetArrayLength(), $"seed {seed}: {stored} acknowledged sends, history has {history.Body.GetProperty("data").GetArrayLength()}");
    }

    private static JsonNode? Payload(Random random, string conversation) => random.Next(10) switch
    {
        0 => null,
        1 => Value(random, depth: 0),
        _ => Object(random, conversation),
    };

    private static JsonObject Object(Random random, string conversation)
    {
        var result = new JsonObject();
        if (random.Next(4) != 0)
        {
            result["conversation_id"] = random.Next(3) switch
            {
                0 => conversation,
                1 => conversation.ToUpperInvariant(),
                _ => Value(random, depth: 1),
            };
        }

        if (random.Next(3) != 0)
        {
            result["text"] = random.Next(3) == 0 ? Value(random, depth: 1) : Text(random);
        }

        foreach (var key in new[] { "url", "fileName", "timestamp", "__proto__", "constructor" })
        {
            if (random.Next(6) == 0)
            {
                result[key] = Value(random, depth: 1);
            }
        }

        return result;
    }

    private static JsonNode? Value(Random random, int depth) => random.Next(depth > 2 ? 5 : 8) switch
    {
        0 => null,
        1 => JsonValue.Create(random.Next(2) == 0),
        2 => JsonValue.Create(random.Next(-3, 3) * Math.Pow(10, random.Next(0, 20))),
        3 => JsonValue.Create(random.Next()),
        4 => JsonValue.Create(Text(random)),
        5 => new JsonArray([.. Enumerable.Range(0, random.Next(4)).Select(_ => Value(random, depth + 1))]),
        6 => new JsonObject(Enumerable.Range(0, random.Next(4)).Select(i => KeyValuePair.Create("k" + i, Value(random, depth + 1)))),
        _ => JsonValue.Create(new string('x', random.Next(0, 6000))),
    };

    private static string Text(Random random)
    {
        var pieces = new[] { "hi", " ", "é", "😀", "\u0000", "\u202e", "<script>", "'; DROP TABLE messages; --", "\n", "\ud800", "" };
        return string.Concat(Enumerable.Range(0, random.Next(0, 12)).Select(_ => pieces[random.Next(pieces.Length)]));
    }

    [GeneratedRegex("^[A-Z][A-Z_]+$")]
    private static partial Regex ErrorCode();
}
