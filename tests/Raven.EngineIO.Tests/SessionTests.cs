using System.Net;
using System.Net.WebSockets;
using Raven.EngineIO.Tests.Infrastructure;

namespace Raven.EngineIO.Tests;

/// <summary>The handler seam, close reasons, the slow-consumer policy and graceful shutdown.</summary>
public sealed class SessionTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    private static Task<Raven.Testing.TestHost> StartAsync(RecordingHandler handler, Action<EngineIOOptions>? configure = null)
        => EngineHost.StartAsync(handler, o =>
        {
            // Short enough for the ping-timeout case, generous enough that a cold, busy machine meets it elsewhere.
            o.PingInterval = TimeSpan.FromMilliseconds(300);
            o.PingTimeout = TimeSpan.FromMilliseconds(1000);
            configure?.Invoke(o);
        });

    [Fact]
    public async Task Close_reasons_are_spelled_as_node_spells_them()
    {
        var handler = new RecordingHandler();
        await using var host = await StartAsync(handler);
        using var client = new EioClient(host.BaseUrl);

        var (closedByClient, _) = await client.HandshakeAsync();
        await client.SendAsync(closedByClient, "1");
        Assert.Equal("transport close", await handler.ClosedReason(closedByClient).WaitAsync(Wait));

        var (timedOut, _) = await client.HandshakeAsync();
        Assert.Equal("ping timeout", await handler.ClosedReason(timedOut).WaitAsync(Wait));

        var (garbled, _) = await client.HandshakeAsync();
        await client.SendAsync(garbled, "abc");
        Assert.Equal("parse error", await handler.ClosedReason(garbled).WaitAsync(Wait));

        var (forced, _) = await client.HandshakeAsync();
        handler.Connection(forced).Close();
        Assert.Equal("forced close", await handler.ClosedReason(forced).WaitAsync(Wait));
        Assert.Equal((HttpStatusCode.OK, "1"), await client.PollAsync(forced));
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PollAsync(forced)).Status);

        var (socket, wsSid, _) = await client.WebSocketHandshakeAsync();
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        Assert.Equal("transport close", await handler.ClosedReason(wsSid).WaitAsync(Wait));

        Assert.Empty(handler.Violations);
    }

    [Fact]
    public async Task Server_close_delivers_queued_messages_then_a_close_packet()
    {
        var handler = new RecordingHandler();
        await using var host = await StartAsync(handler, o => o.PingInterval = TimeSpan.FromSeconds(30));
        using var client = new EioClient(host.BaseUrl);

        var (sid, _) = await client.HandshakeAsync();
        var poll = client.PollAsync(sid);
        await Task.Delay(20);
        var connection = handler.Connection(sid);
        connection.Close();
        Assert.Equal((HttpStatusCode.OK, "1"), await poll);
        Assert.True(connection.Closed.IsCancellationRequested);
        Assert.False(connection.IsConnected);
        Assert.False(connection.TrySend([EngineMessage.Text("late")]));

        // No GET waiting at close time: the next GET still collects the queue and the close packet, once.
        var (idle, _) = await client.HandshakeAsync();
        var idleConnection = handler.Connection(idle);
        Assert.True(idleConnection.TrySend([EngineMessage.Text("bye")]));
        idleConnection.Close();
        Assert.Equal("forced close", await handler.ClosedReason(idle).WaitAsync(Wait));
        Assert.Equal(HttpStatusCode.BadRequest, (await client.SendAsync(idle, "4too late")).Status);
        Assert.Equal((HttpStatusCode.OK, "4bye\u001e1"), await client.PollAsync(idle));
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PollAsync(idle)).Status);

        var (socket, wsSid, _) = await client.WebSocketHandshakeAsync();
        using (socket)
        {
            var ws = handler.Connection(wsSid);
            ws.TrySend([EngineMessage.Text("bye")]);
            ws.Close();
            Assert.Equal("4bye", (await Ws.ReceiveAsync(socket)).Text);
            Assert.Equal("1", (await Ws.ReceiveAsync(socket)).Text);
            Assert.True((await Ws.ReceiveAsync(socket)).IsClose);
        }
    }

    [Fact]
    public async Task Slow_consumer_policy_drops_volatile_units_and_closes_on_non_volatile_overflow()
    {
        var handler = new RecordingHandler();
        await using var host = await StartAsync(handler, o =>
        {
            o.MaxQueuedMessages = 4;
            o.PingInterval = TimeSpan.FromSeconds(30);
        });
        using var client = new EioClient(host.BaseUrl);
        var (sid, _) = await client.HandshakeAsync();
        var connection = handler.Connection(sid);

        Assert.True(connection.TrySend([EngineMessage.Text("a"), EngineMessage.Text("b"), EngineMessage.Binary(new byte[] { 1 })]));
        // The unit does not fit: nothing of it is queued, and the session lives on.
        Assert.False(connection.TrySend([EngineMessage.Text("v1"), EngineMessage.Text("v2")], isVolatile: true));
        Assert.True(connection.IsConnected);
        Assert.True(connection.TrySend([EngineMessage.Text("c")], isVolatile: true));
        Assert.Equal((HttpStatusCode.OK, "4a\u001e4b\u001ebAQ==\u001e4c"), await client.PollAsync(sid));

        // Draining frees the queue again.
        Assert.True(connection.TrySend([EngineMessage.Text("1"), EngineMessage.Text("2"), EngineMessage.Text("3"), EngineMessage.Text("4")]));
        Assert.False(connection.TrySend([EngineMessage.Text("5")]));
        Assert.False(connection.IsConnected);
        Assert.Equal("transport error", await handler.ClosedReason(sid).WaitAsync(Wait));
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PollAsync(sid)).Status);
    }

    [Fact]
    public async Task A_broadcast_message_instance_can_be_queued_on_many_sessions()
    {
        var handler = new RecordingHandler();
        await using var host = await StartAsync(handler, o => o.PingInterval = TimeSpan.FromSeconds(30));
        using var client = new EioClient(host.BaseUrl);
        var (polling, _) = await client.HandshakeAsync();
        var (socket, wsSid, _) = await client.WebSocketHandshakeAsync();
        using (socket)
        {
            var shared = new[] { EngineMessage.Text("news"), EngineMessage.Binary(new byte[] { 9, 8 }) };
            Assert.True(handler.Connection(polling).TrySend(shared));
            Assert.True(handler.Connection(wsSid).TrySend(shared));

            Assert.Equal((HttpStatusCode.OK, "4news\u001ebCQg="), await client.PollAsync(polling));
            Assert.Equal("4news", (await Ws.ReceiveAsync(socket)).Text);
            Assert.Equal([9, 8], (await Ws.ReceiveAsync(socket)).Data);
        }
    }

    [Fact]
    public async Task Handler_calls_are_sequential_per_session_even_with_concurrent_posts()
    {
        var handler = new RecordingHandler
        {
            OnText = async (connection, text) =>
            {
                await Task.Delay(2);
                connection.TrySend([EngineMessage.Text(text)]);
            },
        };
        await using var host = await StartAsync(handler, o => o.PingInterval = TimeSpan.FromSeconds(30));
        using var client = new EioClient(host.BaseUrl);
        var (sid, _) = await client.HandshakeAsync();

        var posts = Enumerable.Range(0, 10).Select(i => client.SendAsync(sid, $"4m{i}a\u001e4m{i}b")).ToArray();
        foreach (var post in await Task.WhenAll(posts))
        {
            Assert.Equal((HttpStatusCode.OK, "ok"), post);
        }

        var received = new List<string>();
        while (received.Count < 20)
        {
            var (status, body) = await client.PollAsync(sid);
            Assert.Equal(HttpStatusCode.OK, status);
            received.AddRange(body.Split('\u001e'));
        }

        Assert.Equal(20, received.Distinct().Count());
        for (var i = 0; i < 10; i++)
        {
            Assert.True(received.IndexOf($"4m{i}a") < received.IndexOf($"4m{i}b"));
        }

        Assert.Empty(handler.Violations);
        Assert.Equal($"{sid} connected", handler.Events.First());
    }

    [Fact]
    public async Task Graceful_shutdown_closes_every_session_with_server_shutting_down()
    {
        var handler = new RecordingHandler();
        await using var host = await StartAsync(handler, o => o.PingInterval = TimeSpan.FromSeconds(30));
        using var client = new EioClient(host.BaseUrl);
        var (polling, _) = await client.HandshakeAsync();
        var (socket, wsSid, _) = await client.WebSocketHandshakeAsync();
        using (socket)
        {
            var poll = client.PollAsync(polling);
            await Task.Delay(20);

            var stop = host.StopAsync();
            Assert.Equal("1", (await Ws.ReceiveAsync(socket)).Text);
            Assert.True((await Ws.ReceiveAsync(socket)).IsClose);
            Assert.Equal((HttpStatusCode.OK, "1"), await poll);
            await stop.WaitAsync(TimeSpan.FromSeconds(10));
        }

        Assert.Equal("server shutting down", await handler.ClosedReason(polling).WaitAsync(Wait));
        Assert.Equal("server shutting down", await handler.ClosedReason(wsSid).WaitAsync(Wait));
    }

    [Fact]
    public async Task The_handshake_snapshot_describes_the_opening_request()
    {
        var handler = new RecordingHandler();
        await using var host = await StartAsync(handler, o =>
        {
            o.HandshakeHeaders.Clear();
            o.HandshakeHeaders.Add("X-Test");
            o.HandshakeHeaders.Add("host");
        });
        using var client = new EioClient(host.BaseUrl);
        using var request = new HttpRequestMessage(HttpMethod.Get, client.PollingUrl() + "&room=blue");
        request.Headers.Add("X-Test", "yes");
        request.Headers.Add("X-Unlisted", "dropped");
        using var response = await client.Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        var sid = System.Text.Json.JsonDocument.Parse(body.AsMemory(1)).RootElement.GetProperty("sid").GetString()!;

        var handshake = handler.Connection(sid).Handshake;
        Assert.Equal("yes", handshake.Headers["x-test"]);
        // Only the listed headers are kept per session (issue 6 #4): the rest of the request is not held.
        Assert.False(handshake.Headers.ContainsKey("x-unlisted"));
        Assert.Equal(host.BaseUrl.Replace("http://", "", StringComparison.Ordinal).TrimEnd('/'), handshake.Headers["HOST"]);
        Assert.Equal("blue", handshake.Query["room"]);
        Assert.Equal("127.0.0.1", handshake.RemoteAddress);
        Assert.StartsWith("/engine.io/?EIO=4", handshake.Url, StringComparison.Ordinal);
        Assert.False(handshake.Secure);
        Assert.Equal(sid, handler.Connection(sid).Id);
    }

    [Fact]
    public async Task A_throwing_handler_closes_only_its_session_with_transport_error()
    {
        var handler = new RecordingHandler
        {
            OnText = (connection, text) => text == "boom"
                ? throw new InvalidOperationException("handler bug")
                : new ValueTask(Task.FromResult(connection.TrySend([EngineMessage.Text(text)]))),
        };
        await using var host = await StartAsync(handler, o => o.PingInterval = TimeSpan.FromSeconds(30));
        using var client = new EioClient(host.BaseUrl);
        var (victim, _) = await client.HandshakeAsync();
        var (bystander, _) = await client.HandshakeAsync();

        await client.SendAsync(victim, "4boom");
        Assert.Equal("transport error", await handler.ClosedReason(victim).WaitAsync(Wait));
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PollAsync(victim)).Status);

        await client.SendAsync(bystander, "4fine");
        Assert.Equal((HttpStatusCode.OK, "4fine"), await client.PollAsync(bystander));
    }
}
