using Raven.Testing;

namespace Raven.SocketIO.Tests.OfficialClient;

/// <summary>
/// Rooms and every broadcast operator, observed by three official clients. "Did not receive" is checked
/// deterministically: after the broadcast under test, a sentinel goes to everyone, and per-connection ordering
/// means a client that got the sentinel without the event never will get it.
/// </summary>
public sealed class BroadcastTests
{
    private sealed class Trio : IAsyncDisposable
    {
        public required SocketIOTestApp App { get; init; }
        public required NodeDriver Node { get; init; }
        public required SocketIOTestClient A { get; init; }
        public required SocketIOTestClient B { get; init; }
        public required SocketIOTestClient C { get; init; }
        public required string IdA { get; init; }
        public required string IdB { get; init; }
        public required string IdC { get; init; }

        public SocketIOServer Io => App.Io;

        public IEnumerable<SocketIOTestClient> All => [A, B, C];

        public static async Task<Trio> StartAsync(Action<SocketIOServer>? configure = null, string transports = "websocket")
        {
            var app = await SocketIOTestApp.StartAsync(io =>
            {
                io.OnConnection(socket =>
                {
                    socket.On("join", e =>
                    {
                        socket.Join(e.Get<string>(0)!);
                        e.Ack("joined");
                    });
                    socket.On("shout", e => socket.Broadcast.Emit("shouted", e.Get<string>(0)));
                    socket.On("shout-to", e => socket.To(e.Get<string>(0)!).Emit("shouted", e.Get<string>(1)));
                });
                configure?.Invoke(io);
            });
            var node = await NodeDriver.StartAsync();
            var a = await node.ConnectAsync(app.Url, ClientOptions.For(transports), "a");
            var b = await node.ConnectAsync(app.Url, ClientOptions.For(transports), "b");
            var c = await node.ConnectAsync(app.Url, ClientOptions.For(transports), "c");
            return new Trio
            {
                App = app,
                Node = node,
                A = a,
                B = b,
                C = c,
                IdA = await a.WaitForConnectAsync(),
                IdB = await b.WaitForConnectAsync(),
                IdC = await c.WaitForConnectAsync(),
            };
        }

        public async Task JoinAsync(SocketIOTestClient client, string room) =>
            Assert.Equal("joined", (await client.EmitWithAckAsync("join", TimeSpan.FromSeconds(10), room))[0].GetString());

        /// <summary>Asserts that exactly <paramref name="expected"/> received <paramref name="eventName"/> (once each) before the sentinel.</summary>
        public async Task AssertReceivedOnlyByAsync(string eventName, params SocketIOTestClient[] expected)
        {
            var sentinel = Guid.NewGuid().ToString("N");
            Io.Emit("sentinel", sentinel);
            foreach (var client in All)
            {
                await client.WaitForEventAsync("sentinel", predicate: e => e.Arg(0).GetString() == sentinel);
                // Count only what arrived since the previous sentinel, so each check covers one broadcast step.
                var events = client.Events.ToList();
                var end = events.FindIndex(e => e.Name == "sentinel" && e.Arg(0).GetString() == sentinel);
                var start = events.FindLastIndex(end, e => e.Name == "sentinel" && e.Arg(0).GetString() != sentinel) + 1;
                var count = events.Skip(start).Take(end - start).Count(e => e.Name == eventName);
                var wanted = expected.Contains(client) ? 1 : 0;
                Assert.True(count == wanted, $"client '{client.Id}' got '{eventName}' {count} time(s), expected {wanted}.\n{client.DescribeEvents()}");
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Node.DisposeAsync();
            await App.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("websocket")]
    [InlineData("polling")]
    public async Task To_and_In_reach_room_members_only(string transports)
    {
        await using var t = await Trio.StartAsync(transports: transports);
        await t.JoinAsync(t.A, "red");
        await t.JoinAsync(t.B, "red");
        await t.JoinAsync(t.C, "blue");

        t.Io.To("red").Emit("to-red", 1);
        await t.AssertReceivedOnlyByAsync("to-red", t.A, t.B);

        t.Io.In("blue").Emit("in-blue", 2);
        await t.AssertReceivedOnlyByAsync("in-blue", t.C);

        // A socket in both targeted rooms gets the event once.
        t.Io.To("red").To("blue").Emit("to-both", 3);
        await t.AssertReceivedOnlyByAsync("to-both", t.A, t.B, t.C);

        // Every socket is in the room named by its id.
        t.Io.To(t.IdB).Emit("private", 4);
        await t.AssertReceivedOnlyByAsync("private", t.B);
    }

    [Fact]
    public async Task Except_skips_a_room()
    {
        await using var t = await Trio.StartAsync();
        await t.JoinAsync(t.A, "muted");

        t.Io.Except("muted").Emit("news");
        await t.AssertReceivedOnlyByAsync("news", t.B, t.C);

        t.Io.To("muted").Except(t.IdA).Emit("nobody");
        await t.AssertReceivedOnlyByAsync("nobody");
    }

    [Fact]
    public async Task Socket_broadcast_excludes_the_sender()
    {
        await using var t = await Trio.StartAsync();
        await t.JoinAsync(t.A, "room");
        await t.JoinAsync(t.B, "room");

        await t.A.EmitAsync("shout", "hi all");
        Assert.Equal("hi all", (await t.B.WaitForEventAsync("shouted")).Arg(0).GetString());
        await t.AssertReceivedOnlyByAsync("shouted", t.B, t.C);

        await t.A.EmitAsync("shout-to", "room", "hi room");
        Assert.Equal("hi room", (await t.B.WaitForEventAsync("shouted")).Arg(0).GetString());
        await t.AssertReceivedOnlyByAsync("shouted", t.B);
    }

    [Fact]
    public async Task Volatile_and_Local_broadcasts_reach_connected_clients()
    {
        await using var t = await Trio.StartAsync();

        t.Io.Volatile.Emit("volatile-news", "v");
        await t.AssertReceivedOnlyByAsync("volatile-news", t.A, t.B, t.C);

        t.Io.Local.Emit("local-news", "l");
        await t.AssertReceivedOnlyByAsync("local-news", t.A, t.B, t.C);

        await t.JoinAsync(t.C, "vip");
        t.Io.Local.Volatile.To("vip").Emit("vip-news");
        await t.AssertReceivedOnlyByAsync("vip-news", t.C);
    }

    [Fact]
    public async Task Broadcast_with_ack_collects_every_answer()
    {
        await using var t = await Trio.StartAsync();
        await t.A.OnAckRequestAsync("poll", "a");
        await t.B.OnAckRequestAsync("poll", "b");
        await t.C.OnAckRequestAsync("poll", "c");

        var answers = await t.Io.Timeout(TimeSpan.FromSeconds(10)).EmitWithAckAsync("poll", "vote?");
        Assert.Equal(["a", "b", "c"], answers.Select(a => a.Get<string>(0)!).Order());

        await t.JoinAsync(t.A, "team");
        await t.JoinAsync(t.B, "team");
        var team = await t.Io.To("team").Timeout(TimeSpan.FromSeconds(10)).EmitWithAckAsync("poll");
        Assert.Equal(["a", "b"], team.Select(a => a.Get<string>(0)!).Order());
    }

    [Fact]
    public async Task Broadcast_with_ack_times_out_with_the_answers_received()
    {
        await using var t = await Trio.StartAsync();
        await t.A.OnAckRequestAsync("poll", "a");
        await t.B.OnAckRequestAsync("poll", "b");
        // C never answers.

        var timeout = await Assert.ThrowsAsync<AckTimeoutException>(
            () => t.Io.Timeout(TimeSpan.FromMilliseconds(500)).EmitWithAckAsync("poll"));
        Assert.Equal(["a", "b"], timeout.Responses.Select(a => a.Get<string>(0)!).Order());
        await t.C.WaitForEventAsync("poll");
    }

    [Fact]
    public async Task FetchSockets_lists_sockets_with_their_rooms()
    {
        await using var t = await Trio.StartAsync();
        await t.JoinAsync(t.A, "x");
        await t.JoinAsync(t.B, "x");

        var all = await t.Io.FetchSocketsAsync();
        Assert.Equal(new[] { t.IdA, t.IdB, t.IdC }.Order(), all.Select(s => s.Id).Order());

        var inX = await t.Io.In("x").FetchSocketsAsync();
        Assert.Equal(new[] { t.IdA, t.IdB }.Order(), inX.Select(s => s.Id).Order());
        var a = inX.Single(s => s.Id == t.IdA);
        Assert.Contains("x", a.Rooms);
        Assert.Contains(t.IdA, a.Rooms);

        // Operations on a fetched socket go through the adapter.
        a.Emit("direct", "to a");
        await t.AssertReceivedOnlyByAsync("direct", t.A);
    }

    [Fact]
    public async Task SocketsJoin_and_SocketsLeave_change_membership()
    {
        await using var t = await Trio.StartAsync();

        await t.Io.In(t.IdA).SocketsJoinAsync("green", "yellow");
        await t.Io.In(t.IdB).SocketsJoinAsync("green");
        t.Io.To("green").Emit("green-1");
        await t.AssertReceivedOnlyByAsync("green-1", t.A, t.B);

        await t.Io.In("green").SocketsLeaveAsync("green");
        t.Io.To("green").Emit("green-2");
        await t.AssertReceivedOnlyByAsync("green-2");

        t.Io.To("yellow").Emit("yellow-1");
        await t.AssertReceivedOnlyByAsync("yellow-1", t.A);

        await t.Io.SocketsJoinAsync("everyone");
        t.Io.To("everyone").Emit("everyone-1");
        await t.AssertReceivedOnlyByAsync("everyone-1", t.A, t.B, t.C);
    }

    [Fact]
    public async Task DisconnectSockets_disconnects_the_targeted_clients()
    {
        await using var t = await Trio.StartAsync();
        await t.JoinAsync(t.A, "leaving");
        await t.JoinAsync(t.B, "leaving");

        await t.Io.In("leaving").DisconnectSocketsAsync();
        Assert.Equal("io server disconnect", await t.A.WaitForDisconnectAsync());
        Assert.Equal("io server disconnect", await t.B.WaitForDisconnectAsync());

        t.Io.Emit("after");
        await t.C.WaitForEventAsync("after");
        Assert.Empty(t.C.EventsNamed("disconnect"));
        Assert.Equal([t.IdC], (await t.Io.FetchSocketsAsync()).Select(s => s.Id));
    }
}
