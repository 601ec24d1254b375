using Raven.SocketIO.Tests.Infrastructure;
using Raven.SocketIO.Tests.OfficialClient;

namespace Raven.SocketIO.Tests.Integration;

/// <summary>Issue 6 #5: a client whose handlers fall behind is no longer read from, instead of queueing without limit.</summary>
public sealed class InboundBackpressureTests
{
    [Fact]
    public async Task A_busy_handler_stops_reading_at_the_queue_bound_and_nothing_is_lost_when_it_finishes()
    {
        const int Bound = 4;
        const int Events = 100;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handled = new List<int>();
        await using var app = await SocketIOTestApp.StartAsync(
            io => io.OnConnection(s =>
            {
                s.On("block", _ => release.Task);
                s.On("n", e =>
                {
                    lock (handled)
                    {
                        handled.Add(e.Get<int>(0));
                    }
                });
            }),
            o => o.MaxQueuedInboundPackets = Bound);
        using var meters = new SocketIOMeterRecorder(app.Host.Services);
        await using var client = await RawWebSocketClient.ConnectAsync(app.Url);
        await client.OpenAsync();
        await client.SendAsync("40");
        Assert.StartsWith("40{\"sid\":", await client.ReceiveSkippingPingsAsync());

        await client.SendAsync("42[\"block\"]");
        for (var i = 0; i < Events; i++)
        {
            // Small frames: they all fit in the TCP buffers, so only the server decides how many it reads.
            await client.SendAsync($"42[\"n\",{i}]");
        }

        await TestIO.WaitUntilAsync(() => meters.Total("socketio.inbound.queue_full") > 0, 10_000);
        await Task.Delay(300); // would the server keep reading? (it must not)
        var read = meters.Total("socketio.packets.received", "event");
        Assert.InRange(read, Bound, Bound + 2);
        Assert.Empty(handled);

        release.SetResult();
        await TestIO.WaitUntilAsync(() => { lock (handled) { return handled.Count == Events; } }, 20_000);
        Assert.Equal(Enumerable.Range(0, Events), handled);
        Assert.True(client.IsOpen);
    }
}
