using Raven.SocketIO.Tests.Infrastructure;

namespace Raven.SocketIO.Tests;

public class BroadcastTests
{
    private static async Task<(TestIO Io, InMemoryConnection[] Clients, SocketIOSocket[] Sockets)> SetupAsync(int count, string nsp = "/")
    {
        var io = new TestIO();
        var clients = new InMemoryConnection[count];
        var sockets = new SocketIOSocket[count];
        for (var i = 0; i < count; i++)
        {
            var (c, sid) = await io.ConnectAsync(nsp);
            clients[i] = c;
            sockets[i] = io.Server.Of(nsp).Sockets[sid];
        }

        return (io, clients, sockets);
    }

    private static async Task<string[]> DrainAsync(InMemoryConnection c)
    {
        var result = new List<string>();
        while (!await c.NothingWithinAsync(30))
        {
            result.Add(await c.ReceiveAsync());
        }

        return result.ToArray();
    }

    [Fact]
    public async Task RoomsExceptAndBroadcastFromASocket()
    {
        var (io, c, s) = await SetupAsync(4);
        s[0].Join("a");
        s[1].Join(["a", "b"]);
        s[2].Join("b");

        io.Server.To("a").Emit("to-a");
        io.Server.To("a").To("b").Emit("to-a-or-b");
        io.Server.Except("a").Emit("not-a");
        io.Server.To("b").Except("a").Emit("b-not-a");
        s[1].Broadcast.Emit("from-1");
        s[1].To("a").Emit("from-1-to-a");
        io.Server.To(s[3].Id).Emit("direct");
        s[1].Leave("a");
        io.Server.In("a").Emit("after-leave");

        Assert.Equal(["2[\"to-a\"]", "2[\"to-a-or-b\"]", "2[\"from-1\"]", "2[\"from-1-to-a\"]", "2[\"after-leave\"]"], await DrainAsync(c[0]));
        Assert.Equal(["2[\"to-a\"]", "2[\"to-a-or-b\"]"], await DrainAsync(c[1]));
        Assert.Equal(["2[\"to-a-or-b\"]", "2[\"not-a\"]", "2[\"b-not-a\"]", "2[\"from-1\"]"], await DrainAsync(c[2]));
        Assert.Equal(["2[\"not-a\"]", "2[\"from-1\"]", "2[\"direct\"]"], await DrainAsync(c[3]));
    }

    [Fact]
    public async Task BroadcastIsEncodedOnceAndSharedByEveryRecipient()
    {
        var (io, c, _) = await SetupAsync(3);
        io.Server.Emit("bin", new byte[] { 1, 2 });
        var first = c[0].SentUnits[^1].Messages;
        Assert.Equal(2, first.Length);
        foreach (var client in c)
        {
            var unit = client.SentUnits[^1].Messages;
            Assert.Same(first[0], unit[0]);
            Assert.Same(first[1], unit[1]);
        }

        Assert.Equal(["51-[\"bin\",{\"_placeholder\":true,\"num\":0}]", "BIN 0102"], await DrainAsync(c[2]));
    }

    [Fact]
    public async Task NamespacesAreIsolated()
    {
        var io = new TestIO();
        io.Server.Of("/chat");
        var (main, _) = await io.ConnectAsync();
        var (chat, chatSid) = await io.ConnectAsync("/chat");
        io.Server.Of("/chat").Sockets[chatSid].Join("r");
        io.Server.Sockets.Emit("main-only");
        io.Server.Of("/chat").To("r").Emit("chat-r");
        Assert.Equal(["2[\"main-only\"]"], await DrainAsync(main));
        Assert.Equal(["2/chat,[\"chat-r\"]"], await DrainAsync(chat));
    }

    [Fact]
    public async Task VolatileDropsForFullQueuesButOtherwiseTheSlowConsumerIsClosed()
    {
        var io = new TestIO();
        var fast = await io.ConnectAsync();
        var slowConnection = await io.OpenAsync(capacity: 2);
        await slowConnection.SendAsync("0");
        // Leave the CONNECT reply queued: one slot left.
        io.Server.Volatile.Emit("v1");
        io.Server.Volatile.Emit("v2");
        Assert.True(slowConnection.IsConnected);
        Assert.Equal(2, slowConnection.SentUnits.Count);
        Assert.True(slowConnection.SentUnits[1].IsVolatile);

        io.Server.Emit("must-deliver");
        Assert.Equal("transport error", await slowConnection.CloseReason.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(["2[\"v1\"]", "2[\"v2\"]", "2[\"must-deliver\"]"], await DrainAsync(fast.Connection));
    }

    [Fact]
    public async Task BroadcastWithAckCollectsEveryAnswer()
    {
        var (io, c, _) = await SetupAsync(3);
        var pending = io.Server.Timeout(TimeSpan.FromSeconds(5)).EmitWithAckAsync("q", 1);
        var texts = new List<string>();
        for (var i = 0; i < c.Length; i++)
        {
            var sent = await c[i].ReceiveAsync();
            texts.Add(sent);
            await c[i].SendAsync($"3{sent[1..sent.IndexOf('[')]}[{i}]");
        }

        Assert.Single(texts.Distinct());
        var responses = await pending;
        Assert.Equal([0, 1, 2], responses.Select(r => r.Get<int>(0)).Order());
    }

    [Fact]
    public async Task BroadcastWithAckTimesOutWithThePartialAnswers()
    {
        var (io, c, _) = await SetupAsync(2);
        var pending = io.Server.Timeout(TimeSpan.FromMilliseconds(200)).EmitWithAckAsync("q");
        var sent = await c[0].ReceiveAsync();
        await c[0].SendAsync($"3{sent[1..sent.IndexOf('[')]}[\"only me\"]");
        var ex = await Assert.ThrowsAsync<AckTimeoutException>(() => pending);
        Assert.Equal("only me", Assert.Single(ex.Responses).Get<string>(0));
    }

    [Fact]
    public async Task BroadcastWithAckToNobodyCompletesAtOnce()
    {
        var io = new TestIO();
        Assert.Empty(await io.Server.To("nobody").EmitWithAckAsync("q"));
    }

    [Fact]
    public async Task FetchJoinLeaveAndDisconnectSockets()
    {
        var (io, c, s) = await SetupAsync(3);
        s[0].Join("x");
        s[1].Join("x");
        Assert.Equal(new[] { s[0].Id, s[1].Id }.Order(), (await io.Server.In("x").FetchSocketsAsync()).Select(r => r.Id).Order());

        await io.Server.In("x").SocketsJoinAsync("y", "z");
        Assert.Equal(2, io.Server.Sockets.Adapter.GetRoomMembers("z").Count);
        await io.Server.SocketsLeaveAsync("y");
        Assert.Empty(io.Server.Sockets.Adapter.GetRoomMembers("y"));

        var remote = (await io.Server.FetchSocketsAsync()).Single(r => r.Id == s[2].Id);
        remote.Emit("hello-remote");
        Assert.Equal("2[\"hello-remote\"]", await c[2].ReceiveAsync());
        await remote.JoinAsync("solo");
        Assert.Contains("solo", s[2].Rooms);

        await io.Server.In("x").DisconnectSocketsAsync();
        Assert.Equal("1", await c[0].ReceiveAsync());
        Assert.Equal("1", await c[1].ReceiveAsync());
        await TestIO.WaitUntilAsync(() => io.Server.Sockets.Sockets.Count == 1);
        Assert.True(c[0].IsConnected);

        await io.Server.DisconnectSocketsAsync(close: true);
        await c[2].CloseReason.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(1, await io.Server.Sockets.Adapter.ServerCountAsync());
        // Alone, nobody is asked, and the answer is "no answers" at once (as Node answers).
        Assert.Empty(await io.Server.ServerSideEmitWithAckAsync("anyone", 1));
    }

    [Fact]
    public async Task DisconnectedSocketsLeaveTheirRooms()
    {
        var (io, c, s) = await SetupAsync(2);
        s[0].Join("r");
        s[1].Join("r");
        await c[0].CloseAsync("transport close");
        await TestIO.WaitUntilAsync(() => io.Server.Sockets.Adapter.GetRoomMembers("r").Count == 1);
        io.Server.To("r").Emit("still-here");
        Assert.Equal("2[\"still-here\"]", await c[1].ReceiveAsync());
        Assert.Null(io.Server.Sockets.Adapter.GetSocketRooms(s[0].Id));
    }

    [Fact]
    public async Task ServerSideEmitIsANoOpLocallyButDispatchedFromAnAdapter()
    {
        var received = new TaskCompletionSource<string>();
        TestAdapter? adapter = null;
        var io = new TestIO(o => o.AdapterFactory = nsp => adapter = new TestAdapter(nsp));
        io.Server.Sockets.OnServerSideEmit("sync", args =>
        {
            received.TrySetResult(args.Get<string>(0)!);
            return Task.CompletedTask;
        });
        await io.Server.ServerSideEmitAsync("sync", "payload");
        Assert.Equal("2[\"sync\",\"payload\"]", adapter!.LastServerSideEmit);
        Assert.Equal("payload", await received.Task.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task AckResponsesSurviveTheTripThroughARemoteAdapter()
    {
        TestAdapter? adapter = null;
        var io = new TestIO(o => o.AdapterFactory = nsp => adapter = new TestAdapter(nsp));
        var (c, sid) = await io.ConnectAsync();
        var pending = io.Server.Sockets.Sockets[sid].EmitWithAckAsync("q", [], TimeSpan.FromSeconds(5));
        var sent = await c.ReceiveAsync();
        await c.SendAsync($"61-{sent[1..sent.IndexOf('[')]}[\"text\",{{\"_placeholder\":true,\"num\":0}}]");
        await c.SendBinaryAsync(9, 9);
        var answer = await pending;

        var copy = adapter!.RoundTrip(answer);
        Assert.NotNull(copy);
        Assert.Equal("text", copy.Get<string>(0));
        Assert.Equal(new byte[] { 9, 9 }, copy.Get<byte[]>(1));
    }

    [Fact]
    public async Task ConcurrentBroadcastsJoinsAndDisconnectsDoNotCorruptRooms()
    {
        var io = new TestIO();
        var clients = new List<InMemoryConnection>();
        for (var i = 0; i < 20; i++)
        {
            var (c, sid) = await io.ConnectAsync();
            io.Server.Sockets.Sockets[sid].Join("r");
            clients.Add(c);
        }

        var broadcasters = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 300; i++)
            {
                io.Server.To("r").Emit("tick", i);
            }
        }));
        var churn = Task.Run(async () =>
        {
            for (var i = 0; i < 30; i++)
            {
                var (c, sid) = await io.ConnectAsync();
                io.Server.Sockets.Sockets[sid].Join("r");
                await c.CloseAsync("transport close");
            }
        });
        await Task.WhenAll([.. broadcasters, churn]);
        await TestIO.WaitUntilAsync(() => io.Server.Sockets.Adapter.GetRoomMembers("r").Count == 20);
        Assert.All(clients, c => Assert.Equal(1 + 1200, c.SentUnits.Count));
    }

    [Fact]
    public async Task LargePacketsGrowThePooledBuffer()
    {
        var io = new TestIO();
        var (c, sid) = await io.ConnectAsync();
        var big = new string('x', 300_000);
        io.Server.Sockets.Sockets[sid].Emit("big", big, new { nested = big });
        Assert.Equal("2[\"big\",\"" + big + "\",{\"nested\":\"" + big + "\"}]", await c.ReceiveAsync());
        io.Server.Emit("small");
        Assert.Equal("2[\"small\"]", await c.ReceiveAsync());
    }

    /// <summary>Loops server-side emits back, the way a remote adapter delivers another node's.</summary>
    private sealed class TestAdapter(SocketNamespace nsp) : Adapter.LocalAdapter(nsp)
    {
        public string? LastServerSideEmit { get; private set; }

        public SocketIOArguments? RoundTrip(SocketIOArguments args)
        {
            var encoded = EncodeAckResponse(5, args);
            return DecodeAckResponse(new Adapter.EncodedPacket(encoded.Text.ToArray(), encoded.Attachments.Select(a => (ReadOnlyMemory<byte>)a.ToArray()).ToArray()));
        }

        public override Task ServerSideEmitAsync(Adapter.EncodedPacket packet)
        {
            LastServerSideEmit = packet.ToString();
            Assert.True(DispatchServerSideEvent(new Adapter.EncodedPacket(packet.Text.ToArray(), packet.Attachments)));
            return Task.CompletedTask;
        }
    }
}
