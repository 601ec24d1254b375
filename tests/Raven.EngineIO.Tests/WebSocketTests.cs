using System.Diagnostics;
using System.Net.WebSockets;
using Raven.EngineIO.Tests.Infrastructure;

namespace Raven.EngineIO.Tests;

/// <summary>conformance-app.md sections 3.3, 3.4 and 4 over WebSocket.</summary>
[Trait("Timing", "ConformanceHeartbeat")]
public sealed class WebSocketTests(ConformanceFixture server) : IClassFixture<ConformanceFixture>
{
    [Fact]
    public async Task Text_and_binary_are_echoed_one_packet_per_frame()
    {
        using var client = new EioClient(server.BaseUrl);
        var (socket, _, _) = await client.WebSocketHandshakeAsync();
        using (socket)
        {
            await Ws.SendTextAsync(socket, "4hello");
            await Ws.SendBinaryAsync(socket, [1, 2, 3, 4]);
            await Ws.SendTextAsync(socket, "4€🚀");

            var text = await Ws.ReceiveSkippingPingsAsync(socket);
            Assert.Equal((WebSocketMessageType.Text, "4hello"), (text.Type, text.Text));
            var binary = await Ws.ReceiveSkippingPingsAsync(socket);
            Assert.Equal(WebSocketMessageType.Binary, binary.Type);
            Assert.Equal([1, 2, 3, 4], binary.Data);
            Assert.Equal("4€🚀", (await Ws.ReceiveSkippingPingsAsync(socket)).Text);
        }
    }

    [Fact]
    public async Task A_b_base64_text_frame_is_a_binary_message()
    {
        using var client = new EioClient(server.BaseUrl);
        var (socket, _, _) = await client.WebSocketHandshakeAsync();
        using (socket)
        {
            await Ws.SendTextAsync(socket, "bAQIDBA==");
            var frame = await Ws.ReceiveSkippingPingsAsync(socket);
            Assert.Equal(WebSocketMessageType.Binary, frame.Type);
            Assert.Equal([1, 2, 3, 4], frame.Data);
        }
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("1")]
    [InlineData("")]
    [InlineData("bAQ=!")]
    public async Task An_invalid_or_close_packet_closes_the_socket_within_two_seconds(string frame)
    {
        using var client = new EioClient(server.BaseUrl);
        var (socket, sid, _) = await client.WebSocketHandshakeAsync();
        using (socket)
        {
            var stopwatch = Stopwatch.StartNew();
            await Ws.SendTextAsync(socket, frame);
            Assert.True(await Ws.WaitForCloseAsync(socket, TimeSpan.FromSeconds(2)));
            Assert.True(stopwatch.ElapsedMilliseconds < 2000);
        }
    }

    [Fact]
    public async Task Heartbeat_three_rounds_then_still_echoing()
    {
        await using var host = await EngineHost.StartAsync(new RecordingHandler(), PollingTests.RelaxedHeartbeat);
        using var client = new EioClient(host.BaseUrl);
        var (socket, _, _) = await client.WebSocketHandshakeAsync();
        using (socket)
        {
            var stopwatch = Stopwatch.StartNew();
            for (var round = 0; round < 3; round++)
            {
                var ping = await Ws.ReceiveAsync(socket);
                Assert.Equal("2", ping.Text);
                await Ws.SendTextAsync(socket, "3");
            }

            Assert.InRange(stopwatch.ElapsedMilliseconds, 700, 5000);
            await Ws.SendTextAsync(socket, "4alive");
            Assert.Equal("4alive", (await Ws.ReceiveSkippingPingsAsync(socket)).Text);
        }
    }

    [Fact]
    public async Task A_client_that_never_pongs_is_disconnected()
    {
        using var client = new EioClient(server.BaseUrl);
        var (socket, _, _) = await client.WebSocketHandshakeAsync();
        using (socket)
        {
            var stopwatch = Stopwatch.StartNew();
            Assert.Equal("2", (await Ws.ReceiveAsync(socket)).Text);
            Assert.True(await Ws.WaitForCloseAsync(socket, TimeSpan.FromSeconds(5)));
            // Ping at ~300 ms, deadline 200 ms later: not before the deadline.
            Assert.True(stopwatch.ElapsedMilliseconds >= 150, $"closed after {stopwatch.ElapsedMilliseconds} ms");
        }
    }

    [Fact]
    public async Task Polling_requests_for_a_websocket_session_get_400()
    {
        using var client = new EioClient(server.BaseUrl);
        var (socket, sid, _) = await client.WebSocketHandshakeAsync();
        using (socket)
        {
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, (await client.PollAsync(sid)).Status);
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, (await client.SendAsync(sid, "4x")).Status);
            await Ws.SendTextAsync(socket, "4still");
            Assert.Equal("4still", (await Ws.ReceiveSkippingPingsAsync(socket)).Text);
        }
    }
}
