using System.Text.Json;
using System.Text.RegularExpressions;
using Raven.SocketIO.Tests.Infrastructure;

namespace Raven.SocketIO.Tests;

public class NamespaceTests
{
    [Fact]
    public async Task ConnectRepliesWithOnlyTheSidAndRunsConnectionHandlers()
    {
        var io = new TestIO();
        SocketIOSocket? connected = null;
        io.Server.OnConnection(s => { connected = s; });
        var (connection, sid) = await io.ConnectAsync();
        Assert.NotNull(connected);
        Assert.Equal(sid, connected.Id);
        Assert.Equal(20, sid.Length);
        Assert.True(connected.Connected);
        Assert.Same(connected, io.Server.Sockets.Sockets[sid]);
        Assert.True(await connection.NothingWithinAsync(50));
    }

    [Fact]
    public async Task UnknownNamespaceGetsInvalidNamespace()
    {
        var io = new TestIO();
        io.Server.Of("/custom");
        var connection = await io.OpenAsync();
        await connection.SendAsync("0/random");
        Assert.Equal("4/random,{\"message\":\"Invalid namespace\"}", await connection.ReceiveAsync());
        Assert.True(connection.IsConnected);
    }

    [Fact]
    public async Task HandshakeCarriesAuthHeadersCookiesAndQuery()
    {
        var io = new TestIO();
        SocketHandshake? hs = null;
        io.Server.Of("/chat").OnConnection(s => { hs = s.Handshake; });
        await io.ConnectAsync("/chat", "{\"token\":\"abc\"}");
        Assert.NotNull(hs);
        Assert.Equal("abc", hs.Auth.GetProperty("token").GetString());
        Assert.Equal("two", hs.Cookies["b"]);
        Assert.Equal("test", hs.Headers["user-agent"]);
        Assert.Equal("websocket", hs.Query["transport"]);
        Assert.Equal("127.0.0.1", hs.Address);
        Assert.False(hs.Secure);
        Assert.StartsWith("/socket.io/", hs.Url);
    }

    [Fact]
    public async Task AuthDefaultsToAnEmptyObject()
    {
        var io = new TestIO();
        JsonElement auth = default;
        io.Server.OnConnection(s => { auth = s.Handshake.Auth; });
        await io.ConnectAsync();
        Assert.Equal(JsonValueKind.Object, auth.ValueKind);
        Assert.Equal("{}", auth.GetRawText());
    }

    [Fact]
    public async Task MiddlewareRejectionSendsMessageAndData()
    {
        var io = new TestIO();
        var connections = 0;
        io.Server.Of("/chat")
            .Use((socket, next) =>
            {
                if (socket.Handshake.Auth.TryGetProperty("token", out _))
                {
                    return next();
                }

                throw new ConnectErrorException("AUTHENTICATION_REQUIRED", new { code = "AUTHENTICATION_REQUIRED", message = "Authentication token is required" });
            })
            .OnConnection(_ => { connections++; });
        var connection = await io.OpenAsync();
        await connection.SendAsync("0/chat,");
        Assert.Equal(
            "4/chat,{\"message\":\"AUTHENTICATION_REQUIRED\",\"data\":{\"code\":\"AUTHENTICATION_REQUIRED\",\"message\":\"Authentication token is required\"}}",
            await connection.ReceiveAsync());
        Assert.Equal(0, connections);
        Assert.Empty(io.Server.Of("/chat").Sockets);

        await connection.SendAsync("0/chat,{\"token\":\"t\"}");
        Assert.StartsWith("0/chat,{\"sid\":", await connection.ReceiveAsync());
        Assert.Equal(1, connections);
    }

    [Fact]
    public async Task MiddlewareRunsInOrderAsyncAndCanSetData()
    {
        var io = new TestIO();
        var order = new List<int>();
        object? seen = null;
        io.Server.Use(async (socket, next) =>
        {
            order.Add(1);
            await Task.Delay(20);
            socket.Data = "user-1";
            await next();
            order.Add(4);
        });
        io.Server.Use(async (socket, next) =>
        {
            order.Add(2);
            await next();
        });
        io.Server.OnConnection(s =>
        {
            order.Add(3);
            seen = s.Data;
        });
        var (connection, _) = await io.ConnectAsync();
        await TestIO.WaitUntilAsync(() => order.Count == 4);
        Assert.Equal([1, 2, 4, 3], order);
        Assert.Equal("user-1", seen);
    }

    [Fact]
    public async Task MiddlewareThatDoesNotCallNextRefuses()
    {
        var io = new TestIO();
        io.Server.Use((_, _) => Task.CompletedTask);
        var connection = await io.OpenAsync();
        await connection.SendAsync("0");
        Assert.Equal("4{\"message\":\"Connection refused\"}", await connection.ReceiveAsync());
    }

    [Fact]
    public async Task MiddlewareCrashIsAServerErrorNotAProcessCrash()
    {
        var io = new TestIO();
        io.Server.Use((_, _) => throw new InvalidOperationException("secret detail"));
        var connection = await io.OpenAsync();
        await connection.SendAsync("0");
        Assert.Equal("4{\"message\":\"Server error\"}", await connection.ReceiveAsync());
        Assert.True(connection.IsConnected);
    }

    [Fact]
    public async Task DynamicNamespacesByRegexAndPredicate()
    {
        var io = new TestIO();
        var parent = io.Server.Of(new Regex("^/dyn-\\d+$"));
        var names = new List<string>();
        parent.Use((s, next) => { names.Add("mw:" + s.Namespace.Name); return next(); });
        parent.OnConnection(s => { names.Add(s.Namespace.Name + " parent=" + (s.Namespace.Parent == parent)); });
        io.Server.Of((name, hs) => name.StartsWith("/tenant-") && hs.Auth.TryGetProperty("ok", out _));

        var (c1, _) = await io.ConnectAsync("/dyn-1");
        var (c2, _) = await io.ConnectAsync("/dyn-22");
        Assert.Equal(["mw:/dyn-1", "/dyn-1 parent=True", "mw:/dyn-22", "/dyn-22 parent=True"], names);

        var refused = await io.OpenAsync();
        await refused.SendAsync("0/dyn-x,");
        Assert.Equal("4/dyn-x,{\"message\":\"Invalid namespace\"}", await refused.ReceiveAsync());
        await refused.SendAsync("0/tenant-a,");
        Assert.Equal("4/tenant-a,{\"message\":\"Invalid namespace\"}", await refused.ReceiveAsync());
        await refused.SendAsync("0/tenant-a,{\"ok\":1}");
        Assert.StartsWith("0/tenant-a,{\"sid\":", await refused.ReceiveAsync());

        // A broadcast on the parent reaches every child namespace.
        parent.Emit("hi");
        Assert.Equal("2/dyn-1,[\"hi\"]", await c1.ReceiveAsync());
        Assert.Equal("2/dyn-22,[\"hi\"]", await c2.ReceiveAsync());
    }

    [Fact]
    public async Task SessionWithoutConnectIsClosedAfterConnectTimeout()
    {
        var io = new TestIO(o => o.ConnectTimeout = TimeSpan.FromSeconds(1)); // the second session must CONNECT inside it, even cold
        var idle = await io.OpenAsync();
        var (joined, _) = await io.ConnectAsync();
        Assert.Equal("forced close", await idle.CloseReason.WaitAsync(TimeSpan.FromSeconds(10)));
        await Task.Delay(500);
        Assert.True(joined.IsConnected);
    }

    [Fact]
    public async Task MultiplexesNamespacesOnOneConnection()
    {
        var io = new TestIO();
        io.Server.Of("/custom");
        io.Server.OnConnection(s => s.On("message", e => { s.Emit("message-back", e.ToArray()); }));
        var (connection, _) = await io.ConnectAsync();
        await connection.SendAsync("0/custom");
        Assert.StartsWith("0/custom,{\"sid\":", await connection.ReceiveAsync());
        await connection.SendAsync("1/custom,");
        await connection.SendAsync("2[\"message\",\"message to main namespace\"]");
        Assert.Equal("2[\"message-back\",\"message to main namespace\"]", await connection.ReceiveAsync());
        Assert.Empty(io.Server.Of("/custom").Sockets);
        Assert.Single(io.Server.Sockets.Sockets);
    }

    [Fact]
    public async Task ThreeNamespacesOnOneConnectionJoinLeaveRejoinAndCloseTogether()
    {
        var io = new TestIO();
        foreach (var name in new[] { "/", "/a", "/b" })
        {
            io.Server.Of(name).OnConnection(s => s.On("ping", _ => s.Emit("pong", s.Namespace.Name)));
        }

        var (connection, _) = await io.ConnectAsync();
        foreach (var name in new[] { "/a", "/b" })
        {
            await connection.SendAsync($"0{name},");
            Assert.StartsWith($"0{name},{{\"sid\":", await connection.ReceiveAsync());
        }

        // The first namespace leaves; the others keep working; it comes back.
        await connection.SendAsync("1");
        await connection.SendAsync("2/b,[\"ping\"]");
        Assert.Equal("2/b,[\"pong\",\"/b\"]", await connection.ReceiveAsync());
        await connection.SendAsync("2[\"ping\"]");
        Assert.True(await connection.NothingWithinAsync(50));
        await connection.SendAsync("0");
        Assert.StartsWith("0{\"sid\":", await connection.ReceiveAsync());
        await connection.SendAsync("2[\"ping\"]");
        Assert.Equal("2[\"pong\",\"/\"]", await connection.ReceiveAsync());
        await connection.SendAsync("2/a,[\"ping\"]");
        Assert.Equal("2/a,[\"pong\",\"/a\"]", await connection.ReceiveAsync());
        Assert.Single(io.Server.Of("/a").Sockets);

        // Closing the connection disconnects the socket of every namespace.
        await connection.CloseAsync(Raven.EngineIO.EngineCloseReasons.TransportClose);
        await TestIO.WaitUntilAsync(() => io.Server.Sockets.Sockets.Count == 0 && io.Server.Of("/a").Sockets.Count == 0 && io.Server.Of("/b").Sockets.Count == 0);
    }

    [Fact]
    public async Task EventsForANamespaceNotJoinedAreIgnored()
    {
        var io = new TestIO();
        var handled = new System.Collections.Concurrent.ConcurrentQueue<string>();
        io.Server.Of("/custom").OnConnection(s => s.On("x", e => handled.Enqueue(e.Get<string>(0)!)));

        // A session that did join /custom makes the handler exist, so the one that did not could reach it.
        var (joined, _) = await io.ConnectAsync("/custom");
        var (connection, _) = await io.ConnectAsync();
        await connection.SendAsync("2/custom,[\"x\",\"from the session that did not join\"]");
        await joined.SendAsync("2/custom,[\"x\",\"from the joined session\"]");
        await TestIO.WaitUntilAsync(() => !handled.IsEmpty);
        Assert.True(await connection.NothingWithinAsync(50));
        Assert.True(connection.IsConnected);
        Assert.Equal(["from the joined session"], handled);
    }
}
