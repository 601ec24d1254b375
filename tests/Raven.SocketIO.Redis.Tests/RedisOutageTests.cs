using Raven.Testing;
using Xunit.Abstractions;

namespace Raven.SocketIO.Redis.Tests;

/// <summary>Redis going away and coming back: local delivery never stops, cross-server delivery resumes by itself.</summary>
public sealed class RedisOutageTests(ITestOutputHelper output)
{
    [Fact]
    public async Task LocalDeliveryContinuesWhileRedisIsDownAndCrossServerDeliveryResumesAfterARestart()
    {
        await using var cluster = await Cluster.StartAsync();
        var a = await cluster.StartRavenAsync();
        var b = await cluster.StartRavenAsync();
        var ioA = a.Services.GetIO();
        await Cluster.WaitForServersAsync(ioA, 2);
        var a1 = await cluster.ConnectAsync(a.BaseUrl);
        var b1 = await cluster.ConnectAsync(b.BaseUrl);
        ioA.Emit("before");
        await b1.WaitForEventAsync("before");

        await cluster.Redis.StopAsync();
        for (var i = 0; i < 50; i++)
        {
            ioA.Emit("during", i);
        }

        await a1.WaitForAnyAsync(e => e.Name == "during" && e.Arg(0).GetInt32() == 49, "the last local emit during the outage");
        Assert.Equal(50, a1.EventsNamed("during").Count);

        await cluster.Redis.StartAgainAsync();
        var started = DateTime.UtcNow;
        var resumed = Task.Run(() => b1.WaitForEventAsync("after", TimeSpan.FromSeconds(30)));
        var n = 0;
        while (!resumed.IsCompleted && DateTime.UtcNow - started < TimeSpan.FromSeconds(30))
        {
            ioA.Emit("after", n++);
            await Task.Delay(100);
        }

        await resumed;
        output.WriteLine($"cross-server delivery resumed {(DateTime.UtcNow - started).TotalSeconds:0.0} s after redis-server was started again");
        // And requests work again too (subscriptions of both servers are back).
        await Cluster.WaitForServersAsync(ioA, 2);
        Assert.Equal(2, (await ioA.FetchSocketsAsync()).Count);
    }
}
