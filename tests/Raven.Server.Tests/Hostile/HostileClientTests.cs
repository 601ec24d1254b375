using System.Collections.Concurrent;
using System.Text;
using Raven.Testing;
using Xunit.Abstractions;

namespace Raven.Server.Tests.Hostile;

/// <summary>
/// Hostile clients against the real server process (Production settings) over both transports: random and mutated
/// packets, lying attachment counts, invalid UTF-8, 10k-deep JSON, oversized frames and bodies, slow readers and
/// slowloris requests, all at once. Meanwhile two users of the official socket.io-client (one on WebSocket, one on
/// polling) keep a conversation going. The server process stays alive, only the offending sessions close, and its
/// resident memory comes back near the baseline. The seed is printed; <c>RAVEN_FUZZ_SEED</c> replays a run.
/// </summary>
public sealed class HostileClientTests(ITestOutputHelper output)
{
    private static readonly TimeSpan AttackDuration = TimeSpan.FromSeconds(30);
    private const int MaxAttacksPerWorker = 120;
    private const int Workers = 4;

    // No test-only GC hook exists in the server (and none should ship), so memory is read after a settle period while
    // the good clients keep chatting: garbage of the attack that no GC has collected yet still counts, hence the margin.
    private const long SettledMargin = 32 * Mib.Bytes;
    private static readonly TimeSpan WarmUpDuration = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Hostile_clients_on_both_transports_close_only_their_own_sessions_and_memory_returns_near_baseline()
    {
        var seed = FuzzSeed.Choose(output);
        var replay = $"(RAVEN_FUZZ_SEED={seed})";
        await using var server = await HostileServer.StartAsync(new Dictionary<string, string> { ["MAX_SOCKETS_PER_USER"] = "0" });
        await using var node = await NodeDriver.StartAsync();

        var (aliceApi, aliceToken, _) = await server.SignUpAsync("alice");
        var (_, bobToken, bobId) = await server.SignUpAsync("bob");
        var (maliceApi, maliceToken, _) = await server.SignUpAsync("malice");
        var (_, pusherToken, pusherId) = await server.SignUpAsync("pusher");
        var chat = await HostileServer.GroupAsync(aliceApi, bobId);
        var attackRoom = await HostileServer.GroupAsync(maliceApi, pusherId);

        var alice = await GoodClients.ConnectAsync(node, server, aliceToken, "websocket", chat);
        var bob = await GoodClients.ConnectAsync(node, server, bobToken, "polling", chat);
        var pusher = await GoodClients.ConnectAsync(node, server, pusherToken, "websocket", attackRoom);
        var conversation = new GoodConversation(alice, bob, chat);
        for (var i = 0; i < 10; i++)
        {
            await conversation.ExchangeAsync($"warm-up {i}");
        }

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64, UseCookies = false }) { Timeout = TimeSpan.FromSeconds(30) };
        var attacks = new HostileAttacks(server.BaseUrl, http, maliceToken, chat, attackRoom);
        var random = new Random(seed);

        // The first hostile inputs cost the process once (JIT of the error paths, thread-pool growth, pooled buffers):
        // a short attack before the baseline, so "back near the baseline" measures what an attack leaves behind.
        await RunAttackWorkersAsync(attacks, random, WarmUpDuration);
        await Task.Delay(TimeSpan.FromSeconds(3));
        var baseline = server.ResidentBytes();
        output.WriteLine($"baseline RSS {Mib.Of(baseline)} (after a {WarmUpDuration.TotalSeconds:0} s warm-up attack)");

        using var stop = new CancellationTokenSource();
        var peak = baseline;
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                peak = Math.Max(peak, server.ResidentBytes());
                await Task.Delay(250);
            }
        });
        var chatter = Task.Run(async () =>
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                await conversation.ExchangeAsync($"during the attack {n}");
                await Task.Delay(200);
            }
        });

        // Slow readers: sockets of the attacker in the pusher's room that stop reading while big messages are pushed.
        var slowReaders = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => SlowReaderAsync(server.BaseUrl, maliceToken, attackRoom)));
        var slowPolling = await SlowPollingReaderAsync(new RawPolling(http, server.BaseUrl), maliceToken, attackRoom);
        var pushing = Task.Run(async () =>
        {
            var big = new string('p', 4000);
            while (!stop.IsCancellationRequested)
            {
                await pusher.EmitAsync("send_message", new { conversation_id = attackRoom, text = big });
                await Task.Delay(50);
            }
        });

        var slowloris = StartSlowloris(server, http, maliceToken);
        var started = DateTime.UtcNow;
        await RunAttackWorkersAsync(attacks, random, AttackDuration);
        var slowlorisClosed = await Task.WhenAll(slowloris.Select(s => s.Closed));
        server.AssertAlive($"after the attack {replay}");
        await stop.CancelAsync();
        await Task.WhenAll(chatter, pushing, sampler);
        foreach (var reader in slowReaders)
        {
            await reader.DisposeAsync();
        }

        var pollingAfter = await new RawPolling(http, server.BaseUrl).PollAsync(slowPolling, TimeSpan.FromSeconds(2));
        output.WriteLine($"attack phase {DateTime.UtcNow - started:mm\\:ss}; peak RSS {Mib.Of(peak)}; outcomes:");
        foreach (var (outcome, count) in attacks.Outcomes.OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"  {outcome}: {count}");
        }

        output.WriteLine($"conversation: {conversation.Exchanged} messages each acknowledged and delivered");
        output.WriteLine($"slowloris closed after: {string.Join(", ", slowloris.Zip(slowlorisClosed, (s, t) => $"{s.Kind} {(t is { } d ? $"{d.TotalSeconds:0.0}s" : "never")}"))}");
        output.WriteLine($"polling slow reader afterwards: {pollingAfter?.Status.ToString() ?? "no answer"} {pollingAfter?.Body.Length ?? 0} chars");

        var serverErrors = (server.Process.Stdout + server.Process.Stderr).Split('\n')
            .Where(l => l.Contains("fail:", StringComparison.Ordinal) || l.Contains("crit:", StringComparison.Ordinal) || l.Contains("Unhandled", StringComparison.Ordinal))
            .ToList();
        output.WriteLine($"server error log lines: {serverErrors.Count}");
        serverErrors.Take(20).ToList().ForEach(output.WriteLine);
        Assert.True(!serverErrors.Any(l => l.Contains("crit:", StringComparison.Ordinal) || l.Contains("Unhandled", StringComparison.Ordinal)), $"{replay} {string.Join("\n", serverErrors.Take(20))}");
        Assert.True(attacks.Violations.IsEmpty, $"{replay} {string.Join("\n", attacks.Violations.Distinct())}");
        Assert.True(slowlorisClosed.All(t => t is not null), $"{replay} a slowloris connection was still open when it had sent everything");

        // Only offending sessions closed: the good clients never disconnected and kept talking after the attack.
        foreach (var good in new[] { alice, bob, pusher })
        {
            Assert.True(good.EventsNamed("disconnect").Count == 0, $"{replay} a well-behaved client was disconnected: {good.DescribeEvents()}");
        }

        for (var i = 0; i < 5; i++)
        {
            await conversation.ExchangeAsync($"after the attack {i}");
        }

        Assert.True(conversation.Exchanged > 20, $"{replay} only {conversation.Exchanged} messages went through during the attack");
        var fresh = await GoodClients.ConnectAsync(node, server, aliceToken, "polling", chat);
        await fresh.DisconnectAsync();

        var settled = await server.WaitForResidentAtMostAsync(baseline + SettledMargin, TimeSpan.FromSeconds(30));
        output.WriteLine($"settled RSS {Mib.Of(settled)} (baseline {Mib.Of(baseline)}, peak {Mib.Of(peak)})");
        server.AssertAlive($"at the end {replay}");
        Assert.True(settled <= baseline + SettledMargin, $"{replay} RSS {Mib.Of(settled)} did not come back within {Mib.Of(SettledMargin)} of the baseline {Mib.Of(baseline)} (peak {Mib.Of(peak)})");
    }

    /// <summary>Random malformed inputs from several workers, half over polling and half over WebSocket.</summary>
    private static async Task RunAttackWorkersAsync(HostileAttacks attacks, Random random, TimeSpan duration)
    {
        var started = DateTime.UtcNow;
        var workerSeeds = Enumerable.Range(0, 2 * Workers).Select(_ => random.Next()).ToArray();
        await Task.WhenAll(workerSeeds.Select((workerSeed, index) => Task.Run(async () =>
        {
            var inputs = attacks.Inputs(new Random(workerSeed));
            for (var n = 0; n < MaxAttacksPerWorker && DateTime.UtcNow - started < duration; n++)
            {
                if (index % 2 == 0)
                {
                    var kind = inputs.Random.Next(HostileAttacks.PollingKinds);
                    await attacks.RunAsync($"polling#{kind}", () => attacks.PollingAsync(kind, inputs));
                }
                else
                {
                    var kind = inputs.Random.Next(HostileAttacks.WebSocketKinds);
                    await attacks.RunAsync($"websocket#{kind}", () => attacks.WebSocketAsync(kind, inputs));
                }
            }
        })));
    }

    private static async Task<RawWebSocket> SlowReaderAsync(string baseUrl, string token, string conversation)
    {
        var ws = await RawWebSocket.OpenAsync(baseUrl);
        await ws.TrySendAsync($"40{{\"token\":{Json.Quote(token)}}}");
        Assert.NotNull(await ws.ReceiveStartingWithAsync("40", TimeSpan.FromSeconds(10)));
        await ws.TrySendAsync($"421[\"join_conversation\",{{\"conversation_id\":\"{conversation}\"}}]");
        Assert.NotNull(await ws.ReceiveStartingWithAsync("431", TimeSpan.FromSeconds(10)));
        return ws; // and never read again
    }

    private static async Task<string> SlowPollingReaderAsync(RawPolling polling, string token, string conversation)
    {
        var (sid, status) = await polling.HandshakeAsync();
        Assert.True(sid is not null, $"handshake {status}");
        await polling.PostAsync(sid, $"40{{\"token\":{Json.Quote(token)}}}");
        await polling.PollAsync(sid, TimeSpan.FromSeconds(5));
        await polling.PostAsync(sid, $"42[\"join_conversation\",{{\"conversation_id\":\"{conversation}\"}}]");
        return sid; // and never poll again while the pusher talks
    }

    // Headers trickled one byte per 100 ms (Kestrel's request-headers timeout must end them), and established
    // sessions' POST bodies trickled the same way (the minimum request body data rate must end them).
    private static List<(string Kind, Task<TimeSpan?> Closed)> StartSlowloris(HostileServer server, HttpClient http, string token)
    {
        var interval = TimeSpan.FromMilliseconds(100);
        var grace = TimeSpan.FromSeconds(5);
        var list = new List<(string, Task<TimeSpan?>)>();
        for (var i = 0; i < 4; i++)
        {
            var headers = Encoding.ASCII.GetBytes($"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: {new string('a', 500)}\r\n\r\n");
            list.Add(("headers", Slowloris.TrickleAsync(server.Process.Port, headers, interval, grace, CancellationToken.None)));
            list.Add(("body", Task.Run(async () =>
            {
                var polling = new RawPolling(http, server.BaseUrl);
                var (sid, _) = await polling.HandshakeAsync();
                await polling.PostAsync(sid!, $"40{{\"token\":{Json.Quote(token)}}}");
                var body = $"42[\"heartbeat\",{{\"timestamp\":1,\"pad\":\"{new string('b', 300)}\"}}]";
                var head = $"POST /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\n\r\n";
                return await Slowloris.TrickleAsync(server.Process.Port, Encoding.ASCII.GetBytes(head + body), interval, grace, CancellationToken.None, sendFirst: head.Length);
            })));
        }

        return list;
    }
}
