using System.Diagnostics;
using System.Text.Json;
using Raven.Server.Tests.Infrastructure;
using Raven.Testing;
using Xunit.Abstractions;
using static Raven.Server.Tests.MultiNode.ClusterClients;

namespace Raven.Server.Tests.MultiNode;

/// <summary>
/// The deployment as operators run it: two Raven.Server processes (the built dll) on one real PostgreSQL
/// (<c>DATABASE_URL</c>) and one real redis-server (<c>REDIS_URL</c>), official JS clients spread over both nodes.
/// </summary>
public sealed class PostgresClusterTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "raven-pgcluster-tests", Guid.NewGuid().ToString("N"));
    private PostgresServer _postgres = null!;
    private RedisServer _redis = null!;
    private NodeDriver _clients = null!;
    private ServerProcess _node1 = null!;
    private ServerProcess _node2 = null!;

    public async Task InitializeAsync()
    {
        _postgres = await PostgresServer.StartAsync();
        var database = await _postgres.CreateDatabaseAsync("cluster");
        _redis = await RedisServer.StartAsync();
        _clients = await NodeDriver.StartAsync();
        var settings = new Dictionary<string, string>
        {
            ["DATABASE_URL"] = _postgres.Url(database),
            ["REDIS_URL"] = _redis.Url,
            ["JWT_SECRET"] = RavenTestServer.JwtSecret,
            ["DATA_DIR"] = _dataDirectory,
            // The adapter's "Redis is back" line is Information; the outage itself is an Error.
            ["Logging__LogLevel__Raven.SocketIO.Redis"] = "Information",
        };
        // Both start at once: the migrations take the advisory lock.
        _node1 = ServerProcess.Start(settings);
        _node2 = ServerProcess.Start(settings);
        await Task.WhenAll(_node1.WaitUntilListeningAsync(), _node2.WaitUntilListeningAsync());
    }

    public async Task DisposeAsync()
    {
        await _clients.DisposeAsync();
        await _node1.DisposeAsync();
        await _node2.DisposeAsync();
        await _redis.DisposeAsync();
        await _postgres.DisposeAsync();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Nothing was written there (the store is PostgreSQL).
        }
    }

    [Fact]
    public async Task A_burst_on_both_nodes_reaches_every_member_once_in_order_and_history_is_complete_from_either_node()
    {
        var alice = await RavenTestServer.NewUserAsync(_node1.BaseUrl, "alice");
        var bob = await RavenTestServer.NewUserAsync(_node2.BaseUrl, "bob");
        var carol = await RavenTestServer.NewUserAsync(_node1.BaseUrl, "carol");
        var dave = await RavenTestServer.NewUserAsync(_node2.BaseUrl, "dave");
        var conversation = await GroupAsync(alice, bob, carol, dave);
        var a = await ConnectAsync(_node1, alice);
        var b = await ConnectAsync(_node2, bob);
        var c = await ConnectAsync(_node1, carol);
        var d = await ConnectAsync(_node2, dave);
        var everyone = new[] { a, b, c, d };
        foreach (var client in everyone)
        {
            await JoinAsync(client, conversation);
        }

        await WaitForCrossNodeDeliveryAsync(a, b, conversation);
        await WaitForCrossNodeDeliveryAsync(b, c, conversation);

        // Both senders fire their whole burst without waiting, at the same time, on different nodes.
        const int PerSender = 40;
        await Task.WhenAll(BurstAsync(a, "a"), BurstAsync(b, "b"));
        async Task BurstAsync(SocketIOTestClient sender, string prefix)
        {
            for (var i = 0; i < PerSender; i++)
            {
                await sender.EmitAsync("send_message", new { conversation_id = conversation, text = $"{prefix}-{i}" });
            }
        }

        foreach (var client in everyone)
        {
            await client.WaitForEventAsync("new_message", Wait, e => Text(e) == $"a-{PerSender - 1}");
            await client.WaitForEventAsync("new_message", Wait, e => Text(e) == $"b-{PerSender - 1}");
            // Sync: anything else queued for this client before the barrier has arrived too.
            await client.EmitWithAckAsync("heartbeat", Wait, new { timestamp = 0 });
            var texts = client.EventsNamed("new_message").Select(e => Text(e)!).Where(IsBurst).ToList();
            AssertOncePerSenderInOrder(texts, PerSender);
        }

        // History over REST, read from either node, both ways of paging: the same complete, gap-free list.
        var fromNode1 = await HistoryAsync(_node1, alice, conversation);
        var fromNode2 = await HistoryAsync(_node2, dave, conversation);
        Assert.Equal(fromNode1.Select(m => m.Id), fromNode2.Select(m => m.Id));
        AssertOncePerSenderInOrder(fromNode1.Select(m => m.Text).Where(IsBurst).ToList(), PerSender);
        var caughtUp = await CatchUpAsync(_node2, bob, conversation, fromNode1[0].Id, pageSize: 7);
        Assert.Equal(fromNode1.Skip(1).Select(m => m.Id), caughtUp.Select(m => m.Id));

        // What every client received live is exactly what was stored, in the stored order per sender.
        var delivered = a.EventsNamed("new_message").Select(e => Field(e, "id")!).ToHashSet();
        Assert.True(delivered.SetEquals(fromNode1.Select(m => m.Id)), "live delivery and history differ");
    }

    [Fact]
    public async Task A_node_killed_mid_traffic_loses_no_acknowledged_message_and_its_client_catches_up_on_the_other()
    {
        var alice = await RavenTestServer.NewUserAsync(_node1.BaseUrl, "alice");
        var bob = await RavenTestServer.NewUserAsync(_node2.BaseUrl, "bob");
        var conversation = await GroupAsync(alice, bob);
        var a = await ConnectAsync(_node1, alice);
        var b = await ConnectAsync(_node2, bob);
        await JoinAsync(a, conversation);
        await JoinAsync(b, conversation);
        await WaitForCrossNodeDeliveryAsync(a, b, conversation);

        // Alice (node 1) and bob (node 2, the one that dies) both send with acks; only acknowledged sends count.
        var acknowledged = new List<string>();
        async Task<bool> SendAsync(SocketIOTestClient sender, string text)
        {
            IReadOnlyList<JsonElement> ack;
            try
            {
                ack = await sender.EmitWithAckAsync("send_message", TimeSpan.FromSeconds(5), new { conversation_id = conversation, text });
            }
            catch (Exception e) when (e is TimeoutException or NodeCommandException)
            {
                return false; // Never acknowledged: may or may not be stored.
            }

            Assert.True(ack[0].GetProperty("ok").GetBoolean(), ack[0].ToString());
            lock (acknowledged)
            {
                acknowledged.Add(ack[0].GetProperty("data").GetProperty("id").GetString()!);
            }

            return true;
        }

        using var stopBob = new CancellationTokenSource();
        var bobSending = Task.Run(async () =>
        {
            for (var i = 0; !stopBob.IsCancellationRequested && await SendAsync(b, $"b-{i}"); i++)
            {
            }
        });
        for (var i = 0; i < 10; i++)
        {
            Assert.True(await SendAsync(a, $"a-{i}"));
        }

        // SIGKILL: no shutdown code runs on node 2.
        await _node2.DisposeAsync();
        for (var i = 10; i < 30; i++)
        {
            Assert.True(await SendAsync(a, $"a-{i}"), "node 1 stopped acknowledging after node 2 died");
        }

        await b.WaitForDisconnectAsync(Wait);
        await stopBob.CancelAsync();
        await bobSending;
        var live = b.EventsNamed("new_message").Select(e => Field(e, "id")!).ToList();

        // Bob comes back through node 1, re-joins and asks for what came after the last message he saw.
        var again = await ConnectAsync(_node1, bob);
        await JoinAsync(again, conversation);
        var missed = live.Count > 0
            ? await CatchUpAsync(_node1, bob, conversation, live[^1], pageSize: 10)
            : await HistoryAsync(_node1, bob, conversation);
        // Nothing is delivered twice live, and the catch-up pages hold no message twice.
        Assert.Equal(live.Count, live.Distinct().Count());
        Assert.Equal(missed.Count, missed.Select(m => m.Id).Distinct().Count());
        // Live arrival order over two senders on two nodes need not be commit (sequence) order, so the page after the
        // last message seen live may repeat some that arrived earlier; a client merges by id, as the web client does.
        var seen = live.Concat(missed.Select(m => m.Id)).ToHashSet();
        Assert.Empty(acknowledged.Except(seen));
        Assert.Contains(acknowledged, id => missed.Any(m => m.Id == id)); // he really missed some and got them back

        // After re-joining he is live again: a new message from alice reaches him on node 1.
        Assert.True(await SendAsync(a, "after"));
        await again.WaitForEventAsync("new_message", Wait, e => Text(e) == "after");
    }

    [Fact]
    public async Task Redis_killed_mid_traffic_local_delivery_goes_on_cross_node_delivery_resumes_within_5_s_of_its_restart_and_each_node_logs_the_outage_once()
    {
        var alice = await RavenTestServer.NewUserAsync(_node1.BaseUrl, "alice");
        var carol = await RavenTestServer.NewUserAsync(_node1.BaseUrl, "carol");
        var bob = await RavenTestServer.NewUserAsync(_node2.BaseUrl, "bob");
        var conversation = await GroupAsync(alice, carol, bob);
        var a = await ConnectAsync(_node1, alice);
        var c = await ConnectAsync(_node1, carol);
        var b = await ConnectAsync(_node2, bob);
        foreach (var client in new[] { a, c, b })
        {
            await JoinAsync(client, conversation);
        }

        await WaitForCrossNodeDeliveryAsync(a, b, conversation);

        // Alice (node 1) and bob (node 2) talk the whole time; every send must be acknowledged, Redis or not.
        var lastAcknowledged = new[] { -1, -1 };
        using var stop = new CancellationTokenSource();
        async Task TalkAsync(SocketIOTestClient sender, string prefix, int slot)
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var ack = await sender.EmitWithAckAsync("send_message", Wait, new { conversation_id = conversation, text = $"{prefix}{i}" });
                Assert.True(ack[0].GetProperty("ok").GetBoolean(), ack[0].ToString());
                Volatile.Write(ref lastAcknowledged[slot], i);
                await Task.Delay(50);
            }
        }

        var talking = Task.WhenAll(Task.Run(() => TalkAsync(a, "a-", 0)), Task.Run(() => TalkAsync(b, "b-", 1)));
        await b.WaitForEventAsync("new_message", Wait, e => Index(e, "a-") >= 0);
        await c.WaitForEventAsync("new_message", Wait, e => Index(e, "b-") >= 0);

        await _redis.StopAsync();
        // Redis is gone: each node still delivers to its own sockets (carol hears alice, bob hears himself).
        var aliceAtKill = Volatile.Read(ref lastAcknowledged[0]);
        var bobAtKill = Volatile.Read(ref lastAcknowledged[1]);
        await c.WaitForEventAsync("new_message", Wait, e => Index(e, "a-") > aliceAtKill + 10);
        await b.WaitForEventAsync("new_message", Wait, e => Index(e, "b-") > bobAtKill + 10);

        await _redis.StartAgainAsync();
        var restarted = Stopwatch.StartNew();
        var aliceAtRestart = Volatile.Read(ref lastAcknowledged[0]);
        var bobAtRestart = Volatile.Read(ref lastAcknowledged[1]);
        // Sends acknowledged after the restart cross again, both ways, without anyone reconnecting.
        await b.WaitForEventAsync("new_message", Wait, e => Index(e, "a-") > aliceAtRestart);
        await c.WaitForEventAsync("new_message", Wait, e => Index(e, "b-") > bobAtRestart);
        var resumedAfter = restarted.Elapsed;
        output.WriteLine($"cross-node delivery resumed both ways {resumedAfter.TotalSeconds:0.00} s after redis-server was ready again");

        await stop.CancelAsync();
        await talking;
        Assert.True(resumedAfter < TimeSpan.FromSeconds(5), $"cross-node delivery resumed {resumedAfter.TotalSeconds:0.0} s after Redis was back");
        foreach (var node in new[] { _node1, _node2 })
        {
            // Dozens of publishes failed during the outage; the adapter said so once, and once that it was over.
            var deadline = DateTime.UtcNow + Wait;
            while (!node.Stdout.Contains("Redis is reachable again", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }

            var log = node.Stdout + node.Stderr;
            Assert.True(Occurrences(log, "Redis is unreachable") == 1, $"node pid {node.Pid} logged:\n{log}");
            Assert.True(Occurrences(log, "Redis is reachable again") == 1, $"node pid {node.Pid} logged:\n{log}");
        }
    }

    private static int Index(DriverEvent e, string prefix) =>
        Text(e) is { } text && text.StartsWith(prefix, StringComparison.Ordinal) && int.TryParse(text.AsSpan(prefix.Length), out var i) ? i : -1;

    private static int Occurrences(string text, string value)
    {
        var count = 0;
        for (var at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static bool IsBurst(string? text) => text is not null && (text.StartsWith("a-", StringComparison.Ordinal) || text.StartsWith("b-", StringComparison.Ordinal));

    private static void AssertOncePerSenderInOrder(IReadOnlyList<string> texts, int perSender)
    {
        foreach (var prefix in new[] { "a-", "b-" })
        {
            var own = texts.Where(t => t.StartsWith(prefix, StringComparison.Ordinal));
            Assert.Equal(Enumerable.Range(0, perSender).Select(i => $"{prefix}{i}"), own);
        }
    }

    /// <summary>Sends probes from a node until a client on the other node hears one (the nodes met on Redis).</summary>
    private static async Task WaitForCrossNodeDeliveryAsync(SocketIOTestClient from, SocketIOTestClient to, string conversation)
    {
        var deadline = DateTime.UtcNow + Wait;
        for (var n = 0; !to.EventsNamed("new_message").Any(e => Text(e)?.StartsWith("probe", StringComparison.Ordinal) == true); n++)
        {
            Assert.True(DateTime.UtcNow < deadline, "the nodes did not deliver to each other through Redis");
            await from.EmitWithAckAsync("send_message", Wait, new { conversation_id = conversation, text = $"probe{n}" });
            await Task.Delay(200);
        }
    }

    /// <summary>The whole history, oldest first, scrolled back with <c>before</c> pages.</summary>
    private static async Task<List<(string Id, string Text)>> HistoryAsync(ServerProcess node, TestUser user, string conversation)
    {
        using var api = Api(node, user);
        var all = new List<(string Id, string Text)>();
        string? before = null;
        while (true)
        {
            var page = await PageAsync(api, conversation, 50, before is null ? string.Empty : $"&before={before}");
            all.AddRange(page);
            if (page.Count < 50)
            {
                break;
            }

            before = page[^1].Id;
        }

        all.Reverse();
        return all;
    }

    /// <summary>Everything after <paramref name="after"/>, oldest first, caught up with <c>after</c> pages.</summary>
    private static async Task<List<(string Id, string Text)>> CatchUpAsync(ServerProcess node, TestUser user, string conversation, string after, int pageSize)
    {
        using var api = Api(node, user);
        var all = new List<(string Id, string Text)>();
        while (true)
        {
            var page = await PageAsync(api, conversation, pageSize, $"&after={after}");
            page.Reverse(); // pages come newest first
            all.AddRange(page);
            if (page.Count < pageSize)
            {
                return all;
            }

            after = page[^1].Id;
        }
    }

    private static async Task<List<(string Id, string Text)>> PageAsync(ApiClient api, string conversation, int limit, string cursor)
    {
        var response = await api.GetAsync($"/api/v1/messages/conversation/{conversation}?limit={limit}{cursor}");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.Status);
        return response.Data.EnumerateArray()
            .Select(m => (m.GetProperty("id").GetString()!, m.GetProperty("text").GetString()!))
            .ToList();
    }

    /// <summary>A client of <paramref name="node"/> signed in as <paramref name="user"/> (the user may have signed up elsewhere).</summary>
    private static ApiClient Api(ServerProcess node, TestUser user) =>
        new(node.BaseUrl) { Bearer = user.Client.CookieValue("accessToken") };

    private Task<SocketIOTestClient> ConnectAsync(ServerProcess node, TestUser user) => ClusterClients.ConnectAsync(_clients, node.BaseUrl, user);
}
