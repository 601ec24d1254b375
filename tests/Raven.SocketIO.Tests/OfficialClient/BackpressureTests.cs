using Raven.Testing;

namespace Raven.SocketIO.Tests.OfficialClient;

/// <summary>The slow-consumer policy (docs/socketio.md) against a real client whose network stalls.</summary>
public sealed class BackpressureTests
{
    private const int ChunkCount = 500; // 500 x 64 KiB: well beyond what loopback TCP buffers can absorb

    [Fact]
    public async Task Stalled_client_loses_volatile_emits_but_stays_and_a_regular_emit_into_a_full_queue_closes_it()
    {
        var serverReasons = new AsyncCollector<string>();
        await using var app = await SocketIOTestApp.StartAsync(
            io => io.OnConnection(socket =>
                socket.OnDisconnected((_, reason) =>
                {
                    serverReasons.Add(reason);
                    return Task.CompletedTask;
                })),
            options => options.EngineIO.MaxQueuedMessages = 16);
        await using var proxy = TcpProxy.Start(app.Port);
        await using var node = await NodeDriver.StartAsync();
        var client = await node.ConnectAsync(proxy.BaseUrl, ClientOptions.For("websocket"));
        var id = await client.WaitForConnectAsync();
        var socket = app.Io.Sockets.Sockets[id];
        var chunk = new byte[64 * 1024];

        // 1. Volatile flood while nothing reaches the client: the excess is dropped, the session lives on.
        proxy.Frozen = true;
        for (var i = 0; i < ChunkCount; i++)
        {
            socket.Volatile.Emit("volatile-chunk", i, chunk);
            if (i % 16 == 15)
            {
                await Task.Delay(5); // let the writer fill the network first, so drops mean a full queue
            }
        }

        Assert.True(socket.Connected, "volatile emits must never close the session");
        proxy.Frozen = false;

        // The queue is still full right after the thaw (a regular emit now would close the session by design):
        // repeat a volatile marker until one gets through; everything queued before it has then arrived.
        var marker = client.WaitForEventAsync("done", TimeSpan.FromSeconds(30));
        while (!marker.IsCompleted)
        {
            socket.Volatile.Emit("done");
            await Task.WhenAny(marker, Task.Delay(100));
        }

        await marker;
        var received = client.EventsNamed("volatile-chunk").Count;
        Assert.InRange(received, 1, ChunkCount - 1);
        Assert.Empty(client.EventsNamed("disconnect"));
        Assert.Empty(serverReasons.Items);

        // 2. Regular emits into a full queue: refused, and the session is closed instead of growing.
        proxy.Frozen = true;
        var refused = false;
        for (var i = 0; i < 4 * ChunkCount && !refused; i++)
        {
            refused = !socket.Emit("regular-chunk", i, chunk);
            if (i % 16 == 15)
            {
                await Task.Delay(5);
            }
        }

        Assert.True(refused, "a regular emit was never refused while the client was stalled");
        Assert.Equal(DisconnectReasons.TransportError, await serverReasons.WaitAsync());
        Assert.False(socket.Connected);

        proxy.Frozen = false;
        await client.WaitForDisconnectAsync(TimeSpan.FromSeconds(30));
    }
}
