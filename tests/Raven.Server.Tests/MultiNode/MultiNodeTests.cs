using System.Text.Json;
using Raven.Server.Tests.Infrastructure;
using Raven.Testing;
using static Raven.Server.Tests.MultiNode.ClusterClients;

namespace Raven.Server.Tests.MultiNode;

/// <summary>
/// Two chat server nodes on one real redis-server (REDIS_URL) and one SQLite database file in WAL mode, official JS
/// clients spread over them: the nodes behave as one server.
/// </summary>
public sealed class MultiNodeTests : IAsyncLifetime
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "raven-multinode-tests", Guid.NewGuid().ToString("N"));
    private RedisServer _redis = null!;
    private NodeDriver _clients = null!;
    private RavenTestServer _node1 = null!;
    private RavenTestServer _node2 = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _clients = await NodeDriver.StartAsync();
        var settings = new Dictionary<string, string> { ["REDIS_URL"] = _redis.Url, ["DATA_DIR"] = _dataDirectory };
        _node1 = await RavenTestServer.StartAsync(settings);
        _node2 = await RavenTestServer.StartAsync(settings);
        await WaitForClusterAsync();
    }

    public async Task DisposeAsync()
    {
        await _clients.DisposeAsync();
        await _node1.DisposeAsync();
        await _node2.DisposeAsync();
        await _redis.DisposeAsync();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A file may still be held briefly; it lives under the temp folder.
        }
    }

    [Fact]
    public async Task A_burst_sent_on_one_node_reaches_the_room_on_every_node_once_and_in_order()
    {
        var alice = await UserAsync(_node1, "alice");
        var bob = await UserAsync(_node1, "bob");
        var carol = await UserAsync(_node2, "carol");
        var conversation = await GroupAsync(alice, bob, carol);
        var a = await ConnectAsync(_node1, alice);
        var b = await ConnectAsync(_node2, bob);
        var c = await ConnectAsync(_node1, carol);
        foreach (var client in new[] { a, b, c })
        {
            await JoinAsync(client, conversation);
        }

        const int Count = 60;
        for (var i = 0; i < Count; i++)
        {
            await a.EmitAsync("send_message", new { conversation_id = conversation, text = $"m{i}" });
        }

        foreach (var client in new[] { b, c, a })
        {
            await client.WaitForEventAsync("new_message", Wait, e => Text(e) == $"m{Count - 1}");
            // Sync: anything else queued for this client before the barrier has arrived too.
            await client.EmitWithAckAsync("heartbeat", Wait, new { timestamp = 0 });
            var texts = client.EventsNamed("new_message").Select(Text).ToArray();
            Assert.Equal(Enumerable.Range(0, Count).Select(i => $"m{i}"), texts);
        }

        // What the nodes delivered is what was stored.
        var history = (await bob.Client.GetAsync($"/api/v1/messages/conversation/{conversation}?limit=100")).Data;
        Assert.Equal(Count, history.GetArrayLength());
    }

    [Fact]
    public async Task Presence_is_right_when_a_users_tabs_are_on_different_nodes()
    {
        var watcher = await UserAsync(_node1, "watch");
        var tabs = await UserAsync(_node1, "tabs");
        await GroupAsync(tabs, watcher);
        var w = await ConnectAsync(_node1, watcher);

        var tab1 = await ConnectAsync(_node1, tabs);
        var online = await w.WaitForEventAsync("friend_status_changed", Wait, e => Field(e, "user_id") == tabs.Id);
        Assert.Equal("online", Field(online, "status"));
        var tab2 = await ConnectAsync(_node2, tabs);
        Assert.True(await OnlineStatusAsync(_node2, tabs.Id));

        // The first tab closes: the user is still online through the other node, and nothing is announced.
        await tab1.DisconnectAsync();
        await Task.Delay(500);
        Assert.True(await OnlineStatusAsync(_node1, tabs.Id));
        await w.EmitWithAckAsync("heartbeat", Wait, new { timestamp = 0 });
        Assert.Single(w.EventsNamed("friend_status_changed"), e => Field(e, "user_id") == tabs.Id);

        // The last tab closes on node 2: the watcher on node 1 hears it, and both nodes answer offline.
        await tab2.DisconnectAsync();
        var offline = await w.WaitForEventAsync("friend_status_changed", Wait, e => Field(e, "user_id") == tabs.Id && Field(e, "status") == "offline");
        Assert.NotNull(offline);
        Assert.False(await OnlineStatusAsync(_node1, tabs.Id));
        Assert.False(await OnlineStatusAsync(_node2, tabs.Id));
    }

    [Fact]
    public async Task Removing_a_member_on_one_node_evicts_their_sockets_on_the_other()
    {
        var owner = await UserAsync(_node1, "owner");
        var member = await UserAsync(_node1, "member");
        var conversation = await GroupAsync(owner, member);
        var o = await ConnectAsync(_node1, owner);
        var m = await ConnectAsync(_node2, member);
        await JoinAsync(o, conversation);
        await JoinAsync(m, conversation);

        var removed = await owner.Client.DeleteAsync($"/api/v1/conversations/{conversation}/user", new { userId = member.Id });
        Assert.Equal(System.Net.HttpStatusCode.OK, removed.Status);
        await Task.Delay(500);
        await o.EmitAsync("send_message", new { conversation_id = conversation, text = "after removal" });
        await o.WaitForEventAsync("new_message", Wait, e => Text(e) == "after removal");
        await m.EmitWithAckAsync("heartbeat", Wait, new { timestamp = 0 });
        Assert.DoesNotContain(m.EventsNamed("new_message"), e => Text(e) == "after removal");
    }

    [Fact]
    public async Task Sign_out_and_password_change_on_one_node_end_the_sockets_and_tokens_of_those_sessions_on_the_other()
    {
        // Sign-out on node 1 of a session whose socket is on node 2: the socket goes, and node 2 refuses its token.
        var leaver = await UserAsync(_node1, "leaver");
        var leaverToken = leaver.Client.CookieValue("accessToken")!;
        var leaverSocket = await ConnectAsync(_node2, leaver);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await leaver.Client.PostAsync("/api/v1/auth/signout")).Status);
        Assert.Equal("io server disconnect", await leaverSocket.WaitForDisconnectAsync(Wait));
        Assert.Equal("TOKEN_EXPIRED", await ConnectErrorAsync(_node2, leaverToken));

        // Password change on node 1: the laptop session's socket on node 2 goes, this session's socket there stays.
        var user = await UserAsync(_node1, "changer");
        using var laptop = _node1.NewClient();
        Assert.Equal(System.Net.HttpStatusCode.OK, (await laptop.PostAsync("/api/v1/auth/signin", new { email = user.Email, password = user.Password })).Status);
        var laptopToken = laptop.CookieValue("accessToken")!;
        var laptopSocket = await ConnectAsync(_node2, user with { Client = laptop });
        var thisTab = await ConnectAsync(_node2, user);
        var change = await user.Client.PutAsync("/api/v1/users/profile", new { password = "N3w-Passw0rd!", currentPassword = user.Password });
        Assert.Equal(System.Net.HttpStatusCode.OK, change.Status);

        Assert.Equal("io server disconnect", await laptopSocket.WaitForDisconnectAsync(Wait));
        Assert.Equal("TOKEN_EXPIRED", await ConnectErrorAsync(_node2, laptopToken));
        await thisTab.EmitWithAckAsync("heartbeat", Wait, new { timestamp = 0 });
        Assert.Empty(thisTab.EventsNamed("disconnect"));
        // The session the password change started is good on node 2.
        await ConnectAsync(_node2, user);
    }

    [Fact]
    public async Task When_a_node_dies_mid_traffic_its_clients_reconnect_to_another_and_catch_up_without_loss()
    {
        var alice = await UserAsync(_node2, "alice");
        var bob = await UserAsync(_node1, "bob");
        var conversation = await GroupAsync(alice, bob);
        var a = await ConnectAsync(_node2, alice);
        var b = await ConnectAsync(_node1, bob);
        await JoinAsync(a, conversation);
        await JoinAsync(b, conversation);

        var acknowledged = new List<string>();
        async Task SendAsync(int i)
        {
            var ack = await a.EmitWithAckAsync("send_message", Wait, new { conversation_id = conversation, text = $"k{i}" });
            Assert.True(ack[0].GetProperty("ok").GetBoolean(), ack[0].ToString());
            acknowledged.Add(ack[0].GetProperty("data").GetProperty("id").GetString()!);
        }

        for (var i = 0; i < 10; i++)
        {
            await SendAsync(i);
        }

        // Node 1 goes away while alice keeps sending.
        var stopping = _node1.Host.StopAsync();
        for (var i = 10; i < 20; i++)
        {
            await SendAsync(i);
        }

        await stopping;
        await b.WaitForDisconnectAsync(Wait);
        var live = b.EventsNamed("new_message").Select(e => Field(e, "id")!).ToList();

        // Bob comes back through the other node, re-joins and asks for what came after the last message he saw.
        var again = await ConnectAsync(_node2, bob);
        await JoinAsync(again, conversation);
        using var api = _node2.NewClient();
        api.Bearer = bob.Client.CookieValue("accessToken");
        var after = live.Count > 0 ? $"&after={live[^1]}" : string.Empty;
        var missed = (await api.GetAsync($"/api/v1/messages/conversation/{conversation}?limit=100{after}")).Data
            .EnumerateArray().Select(m => m.GetProperty("id").GetString()!).ToList();

        var seen = live.Concat(missed).ToList();
        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.Empty(acknowledged.Except(seen));
    }

    [Fact]
    public async Task When_redis_restarts_mid_traffic_each_node_keeps_serving_and_cross_node_delivery_resumes()
    {
        var alice = await UserAsync(_node1, "alice");
        var bob = await UserAsync(_node1, "bob");
        var conversation = await GroupAsync(alice, bob);
        var a = await ConnectAsync(_node1, alice);
        var b = await ConnectAsync(_node2, bob);
        await JoinAsync(a, conversation);
        await JoinAsync(b, conversation);

        async Task<string> SendAsync(string text)
        {
            var ack = await a.EmitWithAckAsync("send_message", Wait, new { conversation_id = conversation, text });
            Assert.True(ack[0].GetProperty("ok").GetBoolean(), ack[0].ToString());
            return ack[0].GetProperty("data").GetProperty("id").GetString()!;
        }

        await SendAsync("before");
        await b.WaitForEventAsync("new_message", Wait, e => Text(e) == "before");

        await _redis.StopAsync();
        // Redis is down: sends are still stored and acknowledged, and the sender's own node still delivers.
        var during = await SendAsync("during");
        await a.WaitForEventAsync("new_message", Wait, e => Text(e) == "during");

        await _redis.StartAgainAsync();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        var n = 0;
        while (!b.EventsNamed("new_message").Any(e => Text(e)!.StartsWith("after", StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < deadline, "cross-node delivery did not resume after Redis came back");
            await SendAsync($"after{n++}");
            await Task.Delay(200);
        }

        // What bob missed while Redis was down is in the history.
        using var api = _node2.NewClient();
        api.Bearer = bob.Client.CookieValue("accessToken");
        var history = (await api.GetAsync($"/api/v1/messages/conversation/{conversation}?limit=100")).Data;
        Assert.Contains(history.EnumerateArray(), m => m.GetProperty("id").GetString() == during);
        // Presence is back in Redis too (the next heartbeat re-creates the entries): bob is online as seen from node 1.
        var presence = (IPresenceService)_node1.Services.GetService(typeof(IPresenceService))!;
        deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!presence.IsOnline(bob.Id))
        {
            Assert.True(DateTime.UtcNow < deadline, "presence did not come back after Redis restarted");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task A_killed_node_process_takes_its_users_offline_and_their_friends_hear_it()
    {
        var watcher = await UserAsync(_node1, "watch");
        var victim = await UserAsync(_node1, "crash");
        await GroupAsync(victim, watcher);
        var w = await ConnectAsync(_node1, watcher);

        // A third node as a separate OS process, so it can really be killed (no shutdown code runs).
        var (process, url) = await StartNodeProcessAsync();
        await using var _ = process;
        await ConnectAsync(url, victim);
        await w.WaitForEventAsync("friend_status_changed", Wait, e => Field(e, "user_id") == victim.Id && Field(e, "status") == "online");

        await process.StopAsync();

        // Bound: entry lifetime (15 s) + one heartbeat (5 s); allow generous slack on a busy machine.
        var offline = await w.WaitForEventAsync("friend_status_changed", TimeSpan.FromSeconds(60), e => Field(e, "user_id") == victim.Id && Field(e, "status") == "offline");
        Assert.NotNull(offline);
        Assert.False(await OnlineStatusAsync(_node1, victim.Id));
        Assert.False(await OnlineStatusAsync(_node2, victim.Id));
    }

    private async Task<(ExternalProcess Process, string Url)> StartNodeProcessAsync()
    {
        var port = FreePort.Get();
        var url = $"http://127.0.0.1:{port}";
        var process = ExternalProcess.Start("dotnet",
        [
            Path.Combine(AppContext.BaseDirectory, "Raven.Server.dll"),
            "--environment=Testing",
            $"--urls={url}",
            $"--DATA_DIR={_dataDirectory}",
            $"--JWT_SECRET={RavenTestServer.JwtSecret}",
            $"--REDIS_URL={_redis.Url}",
            "--PASSWORD_HASH_ITERATIONS=10000",
        ]);
        using var http = new HttpClient();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                if ((await http.GetAsync($"{url}/healthz")).IsSuccessStatusCode)
                {
                    return (process, url);
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (DateTime.UtcNow > deadline || process.HasExited)
            {
                var output = process.RecentOutput;
                await process.DisposeAsync();
                throw new TimeoutException($"The node process did not become healthy:\n{output}");
            }

            await Task.Delay(200);
        }
    }

    private async Task WaitForClusterAsync()
    {
        var io = (Raven.SocketIO.SocketIOServer)_node1.Services.GetService(typeof(Raven.SocketIO.SocketIOServer))!;
        var deadline = DateTime.UtcNow + Wait;
        while (await io.Sockets.Adapter.ServerCountAsync() < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "the two nodes did not meet on Redis");
            await Task.Delay(50);
        }
    }

    private static async Task<TestUser> UserAsync(RavenTestServer node, string prefix) => await node.NewUserAsync(prefix);

    private Task<SocketIOTestClient> ConnectAsync(RavenTestServer node, TestUser user) => ConnectAsync(node.BaseUrl, user);

    private Task<SocketIOTestClient> ConnectAsync(string baseUrl, TestUser user) => ClusterClients.ConnectAsync(_clients, baseUrl, user);

    /// <summary>The connect_error message a node answers a socket with <paramref name="token"/> with.</summary>
    private async Task<string> ConnectErrorAsync(RavenTestServer node, string token)
    {
        var client = await _clients.ConnectAsync(node.BaseUrl, new { auth = new { token }, transports = new[] { "websocket" }, forceNew = true, reconnection = false });
        var error = await client.WaitForConnectErrorAsync(Wait);
        Assert.Empty(client.EventsNamed("connect"));
        return error.Message;
    }

    /// <summary>What a node's online-status endpoint answers (it asks the node's presence service).</summary>
    private static Task<bool> OnlineStatusAsync(RavenTestServer node, string userId)
    {
        var presence = (IPresenceService)node.Services.GetService(typeof(IPresenceService))!;
        return Task.FromResult(presence.IsOnline(userId));
    }
}
