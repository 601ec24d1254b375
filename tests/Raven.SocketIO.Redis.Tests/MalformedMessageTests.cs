using Raven.Testing;
using StackExchange.Redis;

namespace Raven.SocketIO.Redis.Tests;

/// <summary>Whatever arrives on the channels is untrusted: garbage is dropped and the server keeps working.</summary>
public sealed class MalformedMessageTests
{
    [Fact]
    public async Task GarbageOnEveryChannelIsIgnoredAndTheClusterKeepsWorking()
    {
        await using var cluster = await Cluster.StartAsync();
        var a = await cluster.StartRavenAsync();
        var b = await cluster.StartRavenAsync();
        var ioA = a.Services.GetIO();
        await Cluster.WaitForServersAsync(ioA, 2);
        var b1 = await cluster.ConnectAsync(b.BaseUrl, new { room = "r" });

        await using var redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{cluster.Redis.Port}");
        var publisher = redis.GetSubscriber();
        byte[][] garbage =
        [
            [],
            [0xc1],
            [0x93, 0xa1, (byte)'x'],                      // truncated [uid, packet, opts]
            [0xdd, 0xff, 0xff, 0xff, 0xff],               // array claiming 4 billion elements
            [0xc6, 0x7f, 0xff, 0xff, 0xff, 0x01],         // bin claiming 2 GB
            [.. Enumerable.Repeat((byte)0x91, 10_000), 0xc0], // nesting far deeper than allowed
            "{\"type\":5,\"requestId\":\"x\",\"opts\":7}"u8.ToArray(),
            "{\"type\":7,\"requestId\":\"y\",\"opts\":{},\"packet\":{\"data\":\"not-an-array\"}}"u8.ToArray(),
            "{not json"u8.ToArray(),
            [0x83, 0xa3, (byte)'u', (byte)'i', (byte)'d'],
        ];
        foreach (var channel in new[] { "socket.io#/#", "socket.io#/#r#", "socket.io-request#/#", "socket.io-response#/#" })
        {
            foreach (var message in garbage)
            {
                await publisher.PublishAsync(RedisChannel.Literal(channel), message);
            }
        }

        ioA.To("r").Emit("still-works", 1);
        var e = await b1.WaitForEventAsync("still-works", TimeSpan.FromSeconds(15));
        Assert.Equal(1, e.Arg(0).GetInt32());
        Assert.Single(await ioA.FetchSocketsAsync());
    }
}
