using Raven.Testing;

namespace Raven.SocketIO.Redis.Tests;

/// <summary>Several Raven servers on one real Redis, official JS clients on each: every cross-server operation crosses.</summary>
public sealed class RavenClusterTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task BroadcastsToRoomsExceptAndLocalCrossServersAsTheyShould()
    {
        await using var cluster = await Cluster.StartAsync();
        var servers = await cluster.StartRavensAsync(2);
        var (a, b) = (servers[0], servers[1]);
        var ioA = a.Services.GetIO();

        var a1 = await cluster.ConnectAsync(a.BaseUrl, new { room = "r" });
        var b1 = await cluster.ConnectAsync(b.BaseUrl, new { room = "r" });
        var b2 = await cluster.ConnectAsync(b.BaseUrl);
        var b3 = await cluster.ConnectAsync(b.BaseUrl, new { room = "r" });
        await b3.EmitWithAckAsync("join", Wait, "x");

        ioA.To("r").Except("x").Emit("news", "hi", new byte[] { 1, 2, 3 });
        ioA.Local.Emit("local-only");
        ioA.Emit("all");

        foreach (var client in new[] { a1, b1 })
        {
            var news = await client.WaitForEventAsync("news", Wait);
            Assert.Equal("hi", news.Arg(0).GetString());
            Assert.Equal(new byte[] { 1, 2, 3 }, JsBinary.Read(news.Arg(1)));
        }

        await a1.WaitForEventAsync("local-only", Wait);
        foreach (var client in new[] { b1, b2, b3 })
        {
            // "all" was emitted last and a server delivers in order: once it is here, anything else would be too.
            await client.WaitForEventAsync("all", Wait);
            Assert.Empty(client.EventsNamed("local-only"));
        }

        Assert.Empty(b2.EventsNamed("news"));
        Assert.Empty(b3.EventsNamed("news"));
        Assert.Single(b1.EventsNamed("news"));
    }

    [Fact]
    public async Task BroadcastWithAcksCollectsAnswersFromEveryServer()
    {
        await using var cluster = await Cluster.StartAsync();
        var servers = await cluster.StartRavensAsync(3);
        var (a, b, c) = (servers[0], servers[1], servers[2]);
        var ioA = a.Services.GetIO();

        var clients = new[]
        {
            await cluster.ConnectAsync(a.BaseUrl),
            await cluster.ConnectAsync(b.BaseUrl),
            await cluster.ConnectAsync(b.BaseUrl),
            await cluster.ConnectAsync(c.BaseUrl),
        };
        for (var i = 0; i < clients.Length; i++)
        {
            await clients[i].OnAckRequestAsync("poll", $"answer-{i}", new byte[] { (byte)i });
        }

        var answers = await ioA.Timeout(TimeSpan.FromSeconds(10)).EmitWithAckAsync("poll", "question");

        Assert.Equal(["answer-0", "answer-1", "answer-2", "answer-3"], answers.Select(x => x.Get<string>(0)).Order());
    }

    [Fact]
    public async Task FetchJoinLeaveAndDisconnectReachSocketsOnOtherServers()
    {
        await using var cluster = await Cluster.StartAsync();
        var servers = await cluster.StartRavensAsync(2);
        var (a, b) = (servers[0], servers[1]);
        var ioA = a.Services.GetIO();
        var a1 = await cluster.ConnectAsync(a.BaseUrl, new { name = "a1" });
        var b1 = await cluster.ConnectAsync(b.BaseUrl, new { name = "b1", room = "r" });
        var b1Id = (await b1.GetStatusAsync()).GetProperty("id").GetString()!;

        var all = await ioA.FetchSocketsAsync();
        Assert.Equal(2, all.Count);
        var remote = Assert.Single(all, s => s.Id == b1Id);
        Assert.Equal("b1", remote.Handshake.Query["name"]);
        Assert.Contains("r", remote.Rooms);
        Assert.Contains("raven", remote.Data?.ToString());
        Assert.Single(await ioA.In("r").FetchSocketsAsync());

        await ioA.In(b1Id).SocketsJoinAsync("late");
        await WaitUntilAsync(async () => (await ioA.In("late").FetchSocketsAsync()).Count == 1);
        ioA.To("late").Emit("joined-late");
        await b1.WaitForEventAsync("joined-late", Wait);

        await ioA.In(b1Id).SocketsLeaveAsync("r");
        await WaitUntilAsync(async () => (await ioA.In("r").FetchSocketsAsync()).Count == 0);

        await ioA.In("late").DisconnectSocketsAsync();
        await b1.WaitForDisconnectAsync(Wait);
        Assert.Empty(a1.EventsNamed("disconnect"));
    }

    [Fact]
    public async Task ServerSideEmitReachesTheOtherServersOnly()
    {
        await using var cluster = await Cluster.StartAsync();
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var echoed = 0;
        var a = await cluster.StartRavenAsync(io => io.Sockets.OnServerSideEmit("hello", _ =>
        {
            Interlocked.Increment(ref echoed);
            return Task.CompletedTask;
        }));
        var b = await cluster.StartRavenAsync(io => io.Sockets.OnServerSideEmit("hello", args =>
        {
            received.TrySetResult($"{args.Get<string>(0)}/{args.Get<int>(1)}");
            return Task.CompletedTask;
        }));
        var ioA = a.Services.GetIO();
        await Cluster.WaitForServersAsync(ioA, 2);

        await ioA.ServerSideEmitAsync("hello", "from-a", 7);

        Assert.Equal("from-a/7", await received.Task.WaitAsync(Wait));
        Assert.Equal(0, Volatile.Read(ref echoed));
    }

    [Fact]
    public async Task ServerSideEmitWithAcksCollectsOneAnswerPerOtherServerOrTimesOutWithTheAnswersSoFar()
    {
        await using var cluster = await Cluster.StartAsync();
        var asked = 0;
        var a = await cluster.StartRavenAsync(io => io.Sockets.OnServerSideEmit("ask", _ =>
        {
            Interlocked.Increment(ref asked);
            return Task.CompletedTask;
        }));
        var b = await cluster.StartRavenAsync(io => io.Sockets
            .OnServerSideEmit("ask", e => Task.FromResult(e.Ack($"b:{e.Get<string>(0)}")))
            // A second handler's answer is not sent: one answer per server, as with Node's callback.
            .OnServerSideEmit("ask", e => Task.FromResult(e.Ack("b-again")))
            .OnServerSideEmit("half", e => Task.FromResult(e.Ack("b-half"))));
        var c = await cluster.StartRavenAsync(io => io.Sockets
            .OnServerSideEmit("ask", e => Task.FromResult(e.Ack($"c:{e.Get<string>(0)}")))
            // C hears "half" but never answers it.
            .OnServerSideEmit("half", _ => Task.CompletedTask));
        var ioA = a.Services.GetIO();
        await Cluster.WaitForServersAsync(ioA, 3);

        // Waiting much longer than the answers take: the call returns once both arrived, not at the timeout.
        var answers = await ioA.ServerSideEmitWithAckAsync(TimeSpan.FromMinutes(5), "ask", "q").WaitAsync(Wait);
        Assert.Equal(["b:q", "c:q"], answers.Select(x => x.Get<string>(0)).Order());
        Assert.Equal(0, Volatile.Read(ref asked));

        var timeout = await Assert.ThrowsAsync<AckTimeoutException>(() => ioA.ServerSideEmitWithAckAsync(TimeSpan.FromSeconds(1), "half"));
        Assert.Equal("timeout reached: only 1 responses received out of 2", timeout.Message);
        Assert.Equal("b-half", Assert.Single(timeout.Responses).Get<string>(0));
    }

    [Fact]
    public async Task BroadcastWithAcksAcrossServersCompletesWhenTheLastAckArrivesNotAtTheTimeout()
    {
        await using var cluster = await Cluster.StartAsync();
        var servers = await cluster.StartRavensAsync(2);
        var (a, b) = (servers[0], servers[1]);
        var ioA = a.Services.GetIO();
        var a1 = await cluster.ConnectAsync(a.BaseUrl, new { room = "r" });
        var b1 = await cluster.ConnectAsync(b.BaseUrl, new { room = "r" });
        var b2 = await cluster.ConnectAsync(b.BaseUrl, new { room = "r" });
        var bOutside = await cluster.ConnectAsync(b.BaseUrl);
        await a1.OnAckRequestAsync("poll", "a1");
        await b1.OnAckRequestAsync("poll", "b1");
        await b2.OnAckRequestAsync("poll", "b2");
        await bOutside.OnAckRequestAsync("poll", "outside");

        // The ack timeout is far beyond the test's wait: only knowing B's client count (2) lets this finish in time.
        var answers = await ioA.To("r").Timeout(TimeSpan.FromMinutes(5)).EmitWithAckAsync("poll").WaitAsync(Wait);
        Assert.Equal(["a1", "b1", "b2"], answers.Select(x => x.Get<string>(0)).Order());

        // A server none of whose sockets is targeted reports 0 clients, and the answer is the local one alone.
        var localOnly = await ioA.To(((await a1.GetStatusAsync()).GetProperty("id").GetString())!).Timeout(TimeSpan.FromMinutes(5)).EmitWithAckAsync("poll").WaitAsync(Wait);
        Assert.Equal("a1", Assert.Single(localOnly).Get<string>(0));
    }

    internal static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The condition did not become true.");
            }

            await Task.Delay(50);
        }
    }
}

internal static class ServiceProviderExtensions
{
    public static SocketIOServer GetIO(this IServiceProvider services) =>
        (SocketIOServer)services.GetService(typeof(SocketIOServer))!;
}
