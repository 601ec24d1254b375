using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using Raven.EngineIO.Tests.Infrastructure;

namespace Raven.EngineIO.Tests;

/// <summary>conformance-app.md section 3.5: upgrading a polling session to WebSocket.</summary>
[Trait("Timing", "ConformanceHeartbeat")]
public sealed class UpgradeTests(ConformanceFixture server) : IClassFixture<ConformanceFixture>
{
    [Fact]
    public async Task Probe_then_upgrade_then_echo_over_the_websocket()
    {
        using var client = new EioClient(server.BaseUrl);
        var (sid, _) = await client.HandshakeAsync();
        using var socket = await client.ConnectWebSocketAsync(sid);

        // Nothing may be sent on the new socket before the probe.
        await Ws.SendTextAsync(socket, "2probe");
        var probe = await Ws.ReceiveAsync(socket);
        Assert.Equal((WebSocketMessageType.Text, "3probe"), (probe.Type, probe.Text));

        // While the upgrade is pending, a GET is answered at once with a noop.
        var stopwatch = Stopwatch.StartNew();
        Assert.Equal((HttpStatusCode.OK, "6"), await client.PollAsync(sid));
        Assert.True(stopwatch.ElapsedMilliseconds < 200, $"noop took {stopwatch.ElapsedMilliseconds} ms");

        await Ws.SendTextAsync(socket, "5");
        await Ws.SendTextAsync(socket, "4hello");
        Assert.Equal("4hello", (await Ws.ReceiveSkippingPingsAsync(socket)).Text);

        // After the upgrade, polling for that sid is refused.
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PollAsync(sid)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.SendAsync(sid, "4x")).Status);
    }

    [Fact]
    public async Task A_get_already_waiting_is_released_with_a_noop_by_the_probe()
    {
        using var client = new EioClient(server.BaseUrl);
        var (sid, _) = await client.HandshakeAsync();
        var poll = client.PollAsync(sid);
        using var socket = await client.ConnectWebSocketAsync(sid);
        await Task.Delay(20);

        await Ws.SendTextAsync(socket, "2probe");
        Assert.Equal("3probe", (await Ws.ReceiveAsync(socket)).Text);
        var stopwatch = Stopwatch.StartNew();
        Assert.Equal((HttpStatusCode.OK, "6"), await poll);
        Assert.True(stopwatch.ElapsedMilliseconds < 200, $"noop took {stopwatch.ElapsedMilliseconds} ms");

        await Ws.SendTextAsync(socket, "5");
        await Ws.SendBinaryAsync(socket, [1, 2, 3, 4]);
        var echo = await Ws.ReceiveSkippingPingsAsync(socket);
        Assert.Equal(WebSocketMessageType.Binary, echo.Type);
        Assert.Equal([1, 2, 3, 4], echo.Data);
    }

    [Fact]
    public async Task A_second_websocket_for_an_upgraded_session_is_accepted_then_closed_and_the_first_keeps_working()
    {
        using var client = new EioClient(server.BaseUrl);
        var (sid, _) = await client.HandshakeAsync();
        using var first = await client.ConnectWebSocketAsync(sid);
        await Ws.SendTextAsync(first, "2probe");
        Assert.Equal("3probe", (await Ws.ReceiveAsync(first)).Text);
        await Ws.SendTextAsync(first, "5");

        using var second = await client.ConnectWebSocketAsync(sid); // 101: ConnectAsync would throw otherwise
        Assert.True(await Ws.WaitForCloseAsync(second, TimeSpan.FromSeconds(2)));

        await Ws.SendTextAsync(first, "4hello");
        Assert.Equal("4hello", (await Ws.ReceiveSkippingPingsAsync(first)).Text);
    }

    [Fact]
    public async Task The_heartbeat_moves_to_the_websocket_after_the_upgrade()
    {
        await using var host = await EngineHost.StartAsync(new RecordingHandler(), PollingTests.RelaxedHeartbeat);
        using var client = new EioClient(host.BaseUrl);
        var (sid, _) = await client.HandshakeAsync();
        using var socket = await client.ConnectWebSocketAsync(sid);
        await Ws.SendTextAsync(socket, "2probe");
        Assert.Equal("3probe", (await Ws.ReceiveAsync(socket)).Text);
        await Ws.SendTextAsync(socket, "5");

        for (var round = 0; round < 3; round++)
        {
            Assert.Equal("2", (await Ws.ReceiveAsync(socket)).Text);
            await Ws.SendTextAsync(socket, "3");
        }

        await Ws.SendTextAsync(socket, "4ok");
        Assert.Equal("4ok", (await Ws.ReceiveSkippingPingsAsync(socket)).Text);
    }

    [Fact]
    public async Task Messages_queued_during_the_upgrade_arrive_on_the_websocket()
    {
        using var client = new EioClient(server.BaseUrl);
        var (sid, _) = await client.HandshakeAsync();
        using var socket = await client.ConnectWebSocketAsync(sid);
        await Ws.SendTextAsync(socket, "2probe");
        Assert.Equal("3probe", (await Ws.ReceiveAsync(socket)).Text);

        // Sent over polling mid-upgrade: the echo must not be lost on a GET that answers with a noop.
        Assert.Equal((HttpStatusCode.OK, "ok"), await client.SendAsync(sid, "4in flight"));
        Assert.Equal((HttpStatusCode.OK, "6"), await client.PollAsync(sid));
        await Ws.SendTextAsync(socket, "5");
        Assert.Equal("4in flight", (await Ws.ReceiveSkippingPingsAsync(socket)).Text);
    }

    [Fact]
    public async Task A_second_probe_socket_during_an_upgrade_is_closed_and_the_first_completes()
    {
        using var client = new EioClient(server.BaseUrl);
        var (sid, _) = await client.HandshakeAsync();
        using var first = await client.ConnectWebSocketAsync(sid);
        await Ws.SendTextAsync(first, "2probe");
        Assert.Equal("3probe", (await Ws.ReceiveAsync(first)).Text);

        using var second = await client.ConnectWebSocketAsync(sid);
        Assert.True(await Ws.WaitForCloseAsync(second, TimeSpan.FromSeconds(2)));

        await Ws.SendTextAsync(first, "5");
        await Ws.SendTextAsync(first, "4first");
        Assert.Equal("4first", (await Ws.ReceiveSkippingPingsAsync(first)).Text);
    }
}
