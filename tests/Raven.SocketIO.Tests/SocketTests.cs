using System.Collections.Concurrent;
using Raven.SocketIO.Tests.Infrastructure;

namespace Raven.SocketIO.Tests;

public class SocketTests
{
    public sealed record JoinConversation(string ConversationId);

    [Fact]
    public async Task RawHandlerReEmitsArgumentsExactly()
    {
        var io = new TestIO();
        io.Server.OnConnection(s => s.On("message", e => { s.Emit("message-back", e.ToArray()); }));
        var (c, _) = await io.ConnectAsync();
        await c.SendAsync("2[\"message\",1,\"2\",{\"3\":[true]},1.50,{\"b\":1,\"a\":2}]");
        Assert.Equal("2[\"message-back\",1,\"2\",{\"3\":[true]},1.50,{\"b\":1,\"a\":2}]", await c.ReceiveAsync());
    }

    [Fact]
    public async Task BinaryEventIsAssembledFromAttachmentsAndReEmitted()
    {
        var io = new TestIO();
        SocketIOEvent? received = null;
        io.Server.OnConnection(s => s.On("message", e =>
        {
            received = e;
            s.Emit("message-back", e.ToArray());
        }));
        var (c, _) = await io.ConnectAsync();
        await c.SendAsync("52-[\"message\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]");
        Assert.Null(received);
        await c.SendBinaryAsync(1, 2, 3);
        Assert.Null(received);
        await c.SendBinaryAsync(4, 5, 6);
        Assert.NotNull(received);
        Assert.True(received.TryGetBinary(1, out var second));
        Assert.Equal(new byte[] { 4, 5, 6 }, second.ToArray());
        Assert.Equal(new byte[] { 1, 2, 3 }, received.Get<byte[]>(0));
        Assert.Equal("52-[\"message-back\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]", await c.ReceiveAsync());
        Assert.Equal("BIN 010203", await c.ReceiveAsync());
        Assert.Equal("BIN 040506", await c.ReceiveAsync());
    }

    [Fact]
    public async Task AckWithAllArgumentsTextAndBinary()
    {
        var io = new TestIO();
        io.Server.OnConnection(s => s.On("message-with-ack", e => { e.Ack(e.ToArray()); }));
        var (c, _) = await io.ConnectAsync();
        await c.SendAsync("2456[\"message-with-ack\",1,\"2\",{\"3\":[false]}]");
        Assert.Equal("3456[1,\"2\",{\"3\":[false]}]", await c.ReceiveAsync());
        await c.SendAsync("52-789[\"message-with-ack\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]");
        await c.SendBinaryAsync(1, 2, 3);
        await c.SendBinaryAsync(4, 5, 6);
        Assert.Equal("62-789[{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]", await c.ReceiveAsync());
        Assert.Equal("BIN 010203", await c.ReceiveAsync());
        Assert.Equal("BIN 040506", await c.ReceiveAsync());
    }

    [Fact]
    public async Task TypedHandlerBindsFirstArgumentAndAcksOnce()
    {
        var io = new TestIO();
        var seen = new List<string?>();
        var sends = new List<bool>();
        io.Server.Of("/chat").OnConnection(s => s.On<JoinConversation>("join_conversation", (socket, payload, ack) =>
        {
            // Recorded, not asserted here: handler exceptions are caught and logged, so an assert would never fail the test.
            seen.Add(payload?.ConversationId);
            socket.Join("conversation:" + payload!.ConversationId);
            if (ack is not null)
            {
                sends.Add(ack.Send(new { ok = true }));
                sends.Add(ack.Send("twice"));
            }
        }));
        var (c, _) = await io.ConnectAsync("/chat");
        await c.SendAsync("2/chat,[\"join_conversation\",{\"conversationId\":\"c1\"}]");
        await c.SendAsync("2/chat,7[\"join_conversation\",{\"conversation_id\":\"x\",\"conversationId\":\"c2\"}]");
        Assert.Equal("3/chat,7[{\"ok\":true}]", await c.ReceiveAsync());
        Assert.True(await c.NothingWithinAsync(50), "the second Send must not queue a second ack");
        Assert.Equal(["c1", "c2"], seen);
        Assert.Equal([true, false], sends);
        var socket = io.Server.Of("/chat").Sockets.Values.Single();
        Assert.Contains("conversation:c2", socket.Rooms);
        Assert.Contains(socket.Id, socket.Rooms);
    }

    [Fact]
    public async Task TypedHandlerThatCannotBindAcksWithAnErrorAndSkipsTheHandler()
    {
        var io = new TestIO();
        var calls = 0;
        io.Server.OnConnection(s => s.On<int>("n", (_, _, _) => { calls++; }));
        var (c, _) = await io.ConnectAsync();
        await c.SendAsync("23[\"n\",\"not a number\"]");
        Assert.Equal("33[{\"ok\":false,\"error\":{\"code\":\"INVALID_PAYLOAD\",\"message\":\"Argument 1 does not have the expected shape.\"}}]", await c.ReceiveAsync());
        await c.SendAsync("2[\"n\",\"no ack asked\"]");
        await c.SendAsync("2[\"n\",5]");
        Assert.True(await c.NothingWithinAsync(50));
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task TryGetReportsMissingAndMismatchedArgumentsWithoutThrowing()
    {
        var io = new TestIO();
        var results = new List<string>();
        io.Server.OnConnection(s => s.On("t", e =>
        {
            results.Add(e.TryGet<int>(0, out var n, out var error0) ? "n=" + n : "0:" + (error0 is null ? "null" : "error"));
            results.Add(e.TryGet<int>(1, out _, out var error1) ? "bound" : "1:" + (error1 is null ? "null" : "error"));
            results.Add(e.TryGet<int>(2, out _, out var error2) ? "bound" : error2!);
        }));
        var (c, _) = await io.ConnectAsync();
        await c.SendAsync("2[\"t\",4,\"x\"]");
        Assert.Equal(["n=4", "1:error", "Argument 3 is missing."], results);
    }

    [Fact]
    public async Task JoinStopsAtMaxRoomsPerSocketAndJoinsNothingOfATooLargeList()
    {
        var io = new TestIO(o => o.MaxRoomsPerSocket = 3);
        var (_, sid) = await io.ConnectAsync();
        var socket = io.Server.Sockets.Sockets[sid];
        Assert.True(socket.Join("a"));
        Assert.True(socket.Join("b"));
        Assert.False(socket.Join("c"));
        Assert.True(socket.Join("a"), "re-joining a room it is in takes no new slot");
        Assert.False(socket.Join(["a", "d"]));
        Assert.Equal(new HashSet<string> { sid, "a", "b" }, socket.Rooms.ToHashSet());
        Assert.False(socket.IsIn("c"));
        Assert.True(socket.IsIn("b"));

        socket.Leave("b");
        Assert.True(socket.Join(["a", "d"]));
        Assert.True(socket.IsIn("d"));
    }

    [Fact]
    public async Task HandlersOfOneSocketRunInArrivalOrderEvenWhenAsync()
    {
        var io = new TestIO();
        var log = new ConcurrentQueue<string>();
        io.Server.OnConnection(s => s.On("step", async e =>
        {
            var n = e.Get<int>(0);
            log.Enqueue("start " + n);
            await Task.Delay(n % 2 == 0 ? 30 : 1);
            log.Enqueue("end " + n);
        }));
        var (c, _) = await io.ConnectAsync();
        for (var i = 0; i < 6; i++)
        {
            await c.SendAsync($"2[\"step\",{i}]");
        }

        await TestIO.WaitUntilAsync(() => log.Count == 12);
        Assert.Equal(Enumerable.Range(0, 6).SelectMany(i => new[] { "start " + i, "end " + i }), log);
    }

    [Fact]
    public async Task HandlerExceptionsAreContained()
    {
        var io = new TestIO();
        io.Server.OnConnection(s =>
        {
            s.On("boom", _ => throw new InvalidOperationException("boom"));
            s.On("async-boom", async _ =>
            {
                await Task.Yield();
                throw new InvalidOperationException("boom");
            });
            s.On<int>("typed", (socket, n, ack) => { socket.Emit("n", n); });
            s.On("ping", _ => { s.Emit("pong"); });
        });
        var (c, _) = await io.ConnectAsync();
        await c.SendAsync("2[\"boom\"]");
        await c.SendAsync("2[\"async-boom\"]");
        await c.SendAsync("2[\"typed\",\"not a number\"]");
        await c.SendAsync("2[\"ping\"]");
        Assert.Equal("2[\"pong\"]", await c.ReceiveAsync());
        Assert.True(c.IsConnected);
    }

    [Fact]
    public async Task OnAnySeesEveryEventFirst()
    {
        var io = new TestIO();
        var log = new List<string>();
        io.Server.OnConnection(s =>
        {
            s.OnAny(e => { log.Add("any " + e.Name); return Task.CompletedTask; });
            s.On("a", _ => { log.Add("a"); });
        });
        var (c, _) = await io.ConnectAsync();
        await c.SendAsync("2[\"a\"]");
        await c.SendAsync("2[\"b\",1]");
        Assert.Equal(["any a", "a", "any b"], log);
    }

    [Fact]
    public async Task EmitWithBinaryArgumentsSendsBinaryEvent()
    {
        var io = new TestIO();
        var (c, sid) = await io.ConnectAsync();
        var socket = io.Server.Sockets.Sockets[sid];
        Assert.True(socket.Emit("file", "name.bin", new byte[] { 0xCA, 0xFE }));
        Assert.Equal("51-[\"file\",\"name.bin\",{\"_placeholder\":true,\"num\":0}]", await c.ReceiveAsync());
        Assert.Equal("BIN CAFE", await c.ReceiveAsync());
        Assert.Single(c.SentUnits[^1].Messages[1..]);
    }

    [Fact]
    public async Task ServerEmitWithAckReceivesTheClientsAnswer()
    {
        var io = new TestIO();
        var (c, sid) = await io.ConnectAsync();
        var socket = io.Server.Sockets.Sockets[sid];
        var pending = socket.EmitWithAckAsync("question", ["q"], TimeSpan.FromSeconds(5));
        var sent = await c.ReceiveAsync();
        Assert.Matches("^2(\\d+)\\[\"question\",\"q\"\\]$", sent);
        var id = sent[1..sent.IndexOf('[')];
        await c.SendAsync($"3{id}[\"answer\",42]");
        var response = await pending;
        Assert.Equal("answer", response.Get<string>(0));
        Assert.Equal(42, response.Get<int>(1));

        // A binary ack works too.
        pending = socket.EmitWithAckAsync("question", ["q2"], TimeSpan.FromSeconds(5));
        sent = await c.ReceiveAsync();
        id = sent[1..sent.IndexOf('[')];
        await c.SendAsync($"61-{id}[{{\"_placeholder\":true,\"num\":0}}]");
        await c.SendBinaryAsync(7);
        Assert.Equal(new byte[] { 7 }, (await pending).Get<byte[]>(0));
    }

    [Fact]
    public async Task ServerEmitWithAckTimesOutAndFailsOnDisconnect()
    {
        var io = new TestIO();
        var (c, sid) = await io.ConnectAsync();
        var socket = io.Server.Sockets.Sockets[sid];
        var ex = await Assert.ThrowsAsync<AckTimeoutException>(() => socket.EmitWithAckAsync("q", [], TimeSpan.FromMilliseconds(50)));
        Assert.Empty(ex.Responses);

        var pending = socket.EmitWithAckAsync("q2");
        await c.CloseAsync("transport close");
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
    }

    [Fact]
    public async Task HandlerAwaitingAnAckDoesNotBlockTheAck()
    {
        var io = new TestIO();
        io.Server.OnConnection(s => s.On("ask-me", async e =>
        {
            var answer = await s.EmitWithAckAsync("question", [], TimeSpan.FromSeconds(5));
            e.Ack(answer.ToArray());
        }));
        var (c, _) = await io.ConnectAsync();
        await c.SendAsync("21[\"ask-me\"]");
        var question = await c.ReceiveAsync();
        var id = question[1..question.IndexOf('[')];
        await c.SendAsync($"3{id}[\"yes\"]");
        Assert.Equal("31[\"yes\"]", await c.ReceiveAsync());
    }

    [Theory]
    [InlineData("transport close")]
    [InlineData("ping timeout")]
    [InlineData("transport error")]
    [InlineData("server shutting down")]
    public async Task EngineCloseReasonsReachDisconnectHandlers(string reason)
    {
        var io = new TestIO();
        var reasons = new ConcurrentQueue<string>();
        io.Server.OnConnection(s => s.OnDisconnected((_, r) => { reasons.Enqueue(r); return Task.CompletedTask; }));
        var (c, _) = await io.ConnectAsync();
        await c.CloseAsync(reason);
        await TestIO.WaitUntilAsync(() => reasons.Count == 1);
        Assert.Equal(reason, reasons.Single());
        Assert.Empty(io.Server.Sockets.Sockets);
    }

    [Fact]
    public async Task ClientNamespaceDisconnectGetsNoReplyAndKeepsTheSession()
    {
        var io = new TestIO();
        var log = new List<string>();
        io.Server.OnConnection(s =>
        {
            s.Join("room");
            s.OnDisconnecting((socket, r) => { log.Add($"disconnecting {r} rooms={socket.Rooms.Count}"); return Task.CompletedTask; });
            s.OnDisconnected((socket, r) => { log.Add($"disconnected {r} rooms={socket.Rooms.Count} connected={socket.Connected}"); return Task.CompletedTask; });
        });
        var (c, _) = await io.ConnectAsync();
        await c.SendAsync("1");
        Assert.True(await c.NothingWithinAsync(50));
        Assert.True(c.IsConnected);
        Assert.Equal(["disconnecting client namespace disconnect rooms=2", "disconnected client namespace disconnect rooms=0 connected=False"], log);
        Assert.Empty(io.Server.Sockets.Adapter.GetRoomMembers("room"));

        // The same session can connect again.
        await c.SendAsync("0");
        Assert.StartsWith("0{\"sid\":", await c.ReceiveAsync());
    }

    [Fact]
    public async Task ServerDisconnectSendsDisconnectPacket()
    {
        var io = new TestIO();
        var reasons = new ConcurrentQueue<string>();
        io.Server.Of("/custom").OnConnection(s => s.OnDisconnected((_, r) => { reasons.Enqueue(r); return Task.CompletedTask; }));
        var (c, sid) = await io.ConnectAsync("/custom");
        io.Server.Of("/custom").Sockets[sid].Disconnect();
        Assert.Equal("1/custom,", await c.ReceiveAsync());
        await TestIO.WaitUntilAsync(() => reasons.Count == 1);
        Assert.Equal("server namespace disconnect", reasons.Single());
        Assert.True(c.IsConnected);
    }

    [Fact]
    public async Task ServerDisconnectWithCloseClosesTheSession()
    {
        var io = new TestIO();
        io.Server.Of("/custom");
        var (c, sid) = await io.ConnectAsync();
        await c.SendAsync("0/custom,");
        await c.ReceiveAsync();
        io.Server.Sockets.Sockets[sid].Disconnect(close: true);
        Assert.Equal("1", await c.ReceiveAsync());
        Assert.Equal("1/custom,", await c.ReceiveAsync());
        Assert.Equal("forced close", await c.CloseReason.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Empty(io.Server.Sockets.Sockets);
        Assert.Empty(io.Server.Of("/custom").Sockets);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("2{}")]
    [InlineData("2abc[\"message-with-ack\",1]")]
    [InlineData("51-[\"a\",{\"_placeholder\":true,\"num\":3}]")]
    public async Task MalformedPacketClosesTheSessionWithParseError(string packet)
    {
        var io = new TestIO();
        var reasons = new ConcurrentQueue<string>();
        io.Server.OnConnection(s => s.OnDisconnected((_, r) => { reasons.Enqueue(r); return Task.CompletedTask; }));
        var (c, _) = await io.ConnectAsync();
        await c.SendAsync(packet);
        Assert.False(c.IsConnected);
        await TestIO.WaitUntilAsync(() => reasons.Count == 1);
        Assert.Equal("parse error", reasons.Single());
    }

    [Fact]
    public async Task TextWhileAttachmentsAreExpectedAndUnexpectedBinaryAreMalformed()
    {
        var io = new TestIO();
        var (c1, _) = await io.ConnectAsync();
        await c1.SendAsync("51-[\"a\",{\"_placeholder\":true,\"num\":0}]");
        await c1.SendAsync("2[\"b\"]");
        Assert.False(c1.IsConnected);

        var (c2, _) = await io.ConnectAsync();
        await c2.SendBinaryAsync(1);
        Assert.False(c2.IsConnected);
    }

    [Fact]
    public async Task EventsWaitForAnAsyncConnectionHandlerToRegisterHandlers()
    {
        var io = new TestIO();
        io.Server.OnConnection(async s =>
        {
            await Task.Delay(50);
            s.On("early", _ => { s.Emit("handled"); });
        });
        var connection = await io.OpenAsync();
        await connection.SendAsync("0");
        await connection.SendAsync("2[\"early\"]");
        Assert.StartsWith("0{\"sid\":", await connection.ReceiveAsync());
        Assert.Equal("2[\"handled\"]", await connection.ReceiveAsync());
    }

    [Fact]
    public async Task SocketVolatileAndTimeoutOperatorsTargetOnlyThatSocket()
    {
        var io = new TestIO();
        var (c1, sid1) = await io.ConnectAsync();
        var (c2, _) = await io.ConnectAsync();
        var socket = io.Server.Sockets.Sockets[sid1];
        socket.Volatile.Emit("v");
        Assert.Equal("2[\"v\"]", await c1.ReceiveAsync());
        Assert.True(c1.SentUnits[^1].IsVolatile);

        var pending = socket.Timeout(TimeSpan.FromSeconds(5)).EmitWithAckAsync("q");
        var sent = await c1.ReceiveAsync();
        await c1.SendAsync($"3{sent[1..sent.IndexOf('[')]}[1]");
        Assert.Equal(1, Assert.Single(await pending).Get<int>(0));
        Assert.True(await c2.NothingWithinAsync(50));
    }

    [Fact]
    public async Task ItemsAndDataArePerSocket()
    {
        var io = new TestIO();
        var (_, sid1) = await io.ConnectAsync();
        var (_, sid2) = await io.ConnectAsync();
        var first = io.Server.Sockets.Sockets[sid1];
        var second = io.Server.Sockets.Sockets[sid2];
        first.Items["k"] = 1;
        first.Data = new { userId = "u1" };
        Assert.False(second.Items.ContainsKey("k"));
        Assert.Null(second.Data);

        var fetched = (await io.Server.FetchSocketsAsync()).ToDictionary(s => s.Id);
        Assert.Same(first.Data, fetched[sid1].Data);
        Assert.Null(fetched[sid2].Data);
        Assert.Equal("websocket", first.Transport);
    }
}
