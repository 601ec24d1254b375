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
        var a = await cluster.StartRavenAsync();
        var b = await cluster.StartRavenAsync();
        var ioA = a.Services.GetIO();
        await Cluster.WaitForServersAsync(ioA, 2);

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
        var a = await cluster.StartRavenAsync();
        var b = await cluster.StartRavenAsync();
        var c = await cluster.StartRavenAsync();
        var ioA = a.Services.GetIO();
        await Cluster.WaitForServersAsync(ioA, 3);

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
        var a = await cluster.StartRavenAsync();
        var b = await cluster.StartRavenAsync();
        var ioA = a.Services.GetIO();
        await Cluster.WaitForServersAsync(ioA, 2);
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
