using Raven.SocketIO.Tests.Infrastructure;
using Raven.Testing;

namespace Raven.SocketIO.Tests.OfficialClient;

/// <summary>The <c>Raven.SocketIO</c> meter, driven by the official client.</summary>
public sealed class MetricsTests
{
    [Fact]
    public async Task Sockets_packets_broadcasts_and_ack_timeouts_are_counted()
    {
        var timedOut = new AsyncCollector<bool>();
        await using var app = await SocketIOTestApp.StartAsync(io => io.OnConnection(socket =>
        {
            socket.Join("room");
            socket.On("hello", e => e.Ack("hi"));
            socket.On("ask", async _ =>
            {
                try
                {
                    await socket.EmitWithAckAsync("unanswered", [], TimeSpan.FromMilliseconds(200));
                    timedOut.Add(false);
                }
                catch (AckTimeoutException)
                {
                    timedOut.Add(true);
                }
            });
        }));
        using var meters = new SocketIOMeterRecorder(app.Host.Services);
        await using var node = await NodeDriver.StartAsync();
        var a = await node.ConnectAsync(app.Url, ClientOptions.For("websocket"));
        var b = await node.ConnectAsync(app.Url, ClientOptions.For("websocket"));
        await a.WaitForConnectAsync();
        await b.WaitForConnectAsync();
        await TestIO.WaitUntilAsync(() => meters.Total("socketio.sockets", "/") == 2);

        Assert.Equal("hi", (await a.EmitWithAckAsync("hello", TimeSpan.FromSeconds(10)))[0].GetString());
        app.Io.To("room").Emit("news", 1);
        await a.WaitForEventAsync("news");
        await b.WaitForEventAsync("news");
        await a.EmitAsync("ask");
        Assert.True(await timedOut.WaitAsync());

        Assert.Equal(2, meters.Total("socketio.packets.received", "connect"));
        Assert.Equal(2, meters.Total("socketio.packets.received", "event"));
        Assert.Equal(2, meters.Total("socketio.packets.sent", "connect"));
        Assert.Equal(1, meters.Total("socketio.packets.sent", "ack"));
        Assert.Equal(3, meters.Total("socketio.packets.sent", "event")); // the broadcast to two, the unanswered question
        Assert.Equal(1, meters.Total("socketio.broadcasts"));
        Assert.Equal(2, meters.Total("socketio.broadcast.recipients"));
        Assert.Equal(1, meters.Total("socketio.ack.timeouts"));

        await b.DisconnectAsync();
        await TestIO.WaitUntilAsync(() => meters.Total("socketio.sockets", "/") == 1);
    }
}
