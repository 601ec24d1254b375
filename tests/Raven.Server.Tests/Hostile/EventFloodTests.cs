using System.Diagnostics;
using Raven.Testing;
using Xunit.Abstractions;

namespace Raven.Server.Tests.Hostile;

/// <summary>
/// One authenticated socket floods send_message as fast as a raw WebSocket allows, against the real server process:
/// it gets <c>error {code: "RATE_LIMITED"}</c>, is disconnected for persistent abuse, only the token bucket's worth
/// of messages is stored and delivered, memory stays bounded, and another user's conversation goes on.
/// </summary>
public sealed class EventFloodTests(ITestOutputHelper output)
{
    private const int Burst = 200; // SOCKET_EVENT_BURST default
    private const double PerSecond = 30; // SOCKET_EVENTS_PER_SECOND default
    // Far more than loopback socket buffers can absorb (~80 MB of frames against a few MB of kernel buffer), so the
    // sender only finishes if the server really kept reading the flood instead of cutting the socket off.
    private const int FloodFrames = 1_000_000;
    private static readonly TimeSpan AckTimeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_flood_of_events_gets_RATE_LIMITED_then_a_disconnect_with_bounded_memory()
    {
        await using var server = await HostileServer.StartAsync();
        await using var node = await NodeDriver.StartAsync();
        var (flooderApi, flooderToken, _) = await server.SignUpAsync("flooder");
        var (_, bystanderToken, bystanderId) = await server.SignUpAsync("bystander");
        var shared = await HostileServer.GroupAsync(flooderApi, bystanderId);

        var bystander = await node.ConnectAsync(server.BaseUrl, new { auth = new { token = bystanderToken }, transports = new[] { "websocket" }, forceNew = true, reconnection = false });
        await bystander.WaitForConnectAsync();
        Assert.True((await bystander.EmitWithAckAsync("join_conversation", AckTimeout, new { conversation_id = shared })).Single().GetProperty("ok").GetBoolean());
        await Task.Delay(TimeSpan.FromSeconds(2));
        var baseline = server.ResidentBytes();

        await using var flooder = await RawWebSocket.OpenAsync(server.BaseUrl);
        await flooder.TrySendAsync($"40{{\"token\":{Json.Quote(flooderToken)}}}");
        Assert.NotNull(await flooder.ReceiveStartingWithAsync("40", TimeSpan.FromSeconds(10)));

        var rateLimited = 0;
        var disconnected = false;
        var reader = Task.Run(async () =>
        {
            while (await flooder.ReceiveAsync(TimeSpan.FromSeconds(30)) is { } frame)
            {
                if (frame.StartsWith("42[\"error\"", StringComparison.Ordinal) && frame.Contains("\"RATE_LIMITED\"", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref rateLimited);
                }
                else if (frame == "41")
                {
                    disconnected = true;
                }
            }
        });

        var peak = baseline;
        var clock = Stopwatch.StartNew();
        var sent = 0;
        while (sent < FloodFrames && !reader.IsCompleted
            && await flooder.TrySendAsync($"42[\"send_message\",{{\"conversation_id\":\"{shared}\",\"text\":\"flood {sent}\"}}]"))
        {
            if (++sent % 1000 == 0)
            {
                peak = Math.Max(peak, server.ResidentBytes());
            }
        }

        await reader.WaitAsync(TimeSpan.FromSeconds(40));
        var elapsed = clock.Elapsed;
        peak = Math.Max(peak, server.ResidentBytes());

        // Bystander's view: at most the bucket's worth of flood messages, and its own messages still go through.
        var ack = (await bystander.EmitWithAckAsync("send_message", AckTimeout, new { conversation_id = shared, text = "still here" })).Single();
        Assert.True(ack.GetProperty("ok").GetBoolean(), ack.ToString());
        var delivered = bystander.EventsNamed("new_message").Count(e => e.Arg(0).GetProperty("text").GetString()!.StartsWith("flood ", StringComparison.Ordinal));
        output.WriteLine($"sent {sent} frames in {elapsed.TotalSeconds:0.0} s; {rateLimited} RATE_LIMITED; disconnect packet: {disconnected}; " +
            $"{delivered} flood messages delivered; RSS {Mib.Of(baseline)} -> peak {Mib.Of(peak)}");

        Assert.True(rateLimited > 0, "no RATE_LIMITED error reached the flooding socket");
        Assert.True(reader.IsCompleted, "the flooding socket was not closed");
        Assert.True(disconnected, "the flooding socket got no Socket.IO disconnect packet before the close");
        Assert.True(sent < FloodFrames, "the server kept reading the whole flood instead of cutting the socket off");
        Assert.InRange(delivered, 1, Burst + (int)(PerSecond * elapsed.TotalSeconds) + 10);
        Assert.True(bystander.EventsNamed("disconnect").Count == 0, bystander.DescribeEvents());
        Assert.True(peak - baseline <= 64 * Mib.Bytes, $"RSS grew by {Mib.Of(peak - baseline)} during the flood");
        server.AssertAlive("after the flood");
    }
}
