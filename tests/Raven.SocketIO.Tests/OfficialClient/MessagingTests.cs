using System.Text.Json;
using System.Text.Json.Nodes;
using Raven.Testing;

namespace Raven.SocketIO.Tests.OfficialClient;

/// <summary>Events, binary payloads, acknowledgements and middleware of the library, seen through the official client.</summary>
public sealed class MessagingTests
{
    [Theory]
    [MemberData(nameof(ClientOptions.Transports), MemberType = typeof(ClientOptions))]
    public async Task Server_emit_with_text_and_binary_reaches_the_client(string transports)
    {
        await using var app = await SocketIOTestApp.StartAsync(io => io.OnConnection(socket =>
            socket.Emit("welcome", "héllo ✓", 42, new { nested = new[] { 1, 2 } }, new byte[] { 0, 255, 7 })));
        await using var node = await NodeDriver.StartAsync();

        var client = await node.ConnectAsync(app.Url, ClientOptions.For(transports));
        await client.WaitForConnectAsync();
        var welcome = await client.WaitForEventAsync("welcome");
        await TransportAssert.UsesExpectedTransportAsync(client, transports);

        Assert.Equal("héllo ✓", welcome.Arg(0).GetString());
        Assert.Equal(42, welcome.Arg(1).GetInt32());
        Assert.Equal("""{"nested":[1,2]}""", welcome.Arg(2).GetRawText());
        Assert.Equal(new byte[] { 0, 255, 7 }, JsBinary.Read(welcome.Arg(3)));
    }

    [Theory]
    [MemberData(nameof(ClientOptions.Transports), MemberType = typeof(ClientOptions))]
    public async Task Server_handler_receives_binary_and_acknowledges_with_binary(string transports)
    {
        await using var app = await SocketIOTestApp.StartAsync(io => io.OnConnection(socket =>
            socket.On("upload", e =>
            {
                var name = e.Get<string>(0);
                Assert.True(e.TryGetBinary(1, out var data));
                var reversed = data.ToArray();
                Array.Reverse(reversed);
                e.Ack(name, data.Length, reversed);
            })));
        await using var node = await NodeDriver.StartAsync();
        var client = await node.ConnectAsync(app.Url, ClientOptions.For(transports));
        await client.WaitForConnectAsync();

        await TransportAssert.UsesExpectedTransportAsync(client, transports);
        var payload = Enumerable.Range(0, 3000).Select(i => (byte)i).ToArray();
        var ack = await client.EmitWithAckAsync("upload", TimeSpan.FromSeconds(10), "file.bin", payload);

        Assert.Equal("file.bin", ack[0].GetString());
        Assert.Equal(3000, ack[1].GetInt32());
        Assert.Equal(payload.Reverse().ToArray(), JsBinary.Read(ack[2]));
    }

    [Theory]
    [MemberData(nameof(ClientOptions.Transports), MemberType = typeof(ClientOptions))]
    public async Task Server_ack_request_is_answered_by_the_client(string transports)
    {
        var answers = new AsyncCollector<string>();
        await using var app = await SocketIOTestApp.StartAsync(io => io.OnConnection(socket =>
            socket.On("ask-me", async _ =>
            {
                var reply = await socket.EmitWithAckAsync("question", ["what?", new byte[] { 1 }], TimeSpan.FromSeconds(10));
                answers.Add($"{reply.Get<string>(0)}|{reply.Get<int>(1)}|{(reply.TryGetBinary(2, out var b) ? Convert.ToHexString(b.Span) : "none")}");
            })));
        await using var node = await NodeDriver.StartAsync();
        var client = await node.ConnectAsync(app.Url, ClientOptions.For(transports));
        await client.WaitForConnectAsync();

        await client.OnAckRequestAsync("question", "because", 7, new byte[] { 0xAB, 0xCD });
        await client.EmitAsync("ask-me");

        var question = await client.WaitForEventAsync("question");
        Assert.Equal("what?", question.Arg(0).GetString());
        Assert.Equal(new byte[] { 1 }, JsBinary.Read(question.Arg(1)));
        Assert.Equal("because|7|ABCD", await answers.WaitAsync());
    }

    [Fact]
    public async Task Server_ack_request_times_out_when_the_client_does_not_answer()
    {
        var outcome = new AsyncCollector<string>();
        await using var app = await SocketIOTestApp.StartAsync(io => io.OnConnection(socket =>
            socket.On("ask-me", async _ =>
            {
                try
                {
                    await socket.EmitWithAckAsync("question", [], TimeSpan.FromMilliseconds(300));
                    outcome.Add("answered");
                }
                catch (AckTimeoutException)
                {
                    outcome.Add("timeout");
                }
            })));
        await using var node = await NodeDriver.StartAsync();
        var client = await node.ConnectAsync(app.Url, ClientOptions.For("websocket"));
        await client.WaitForConnectAsync();

        await client.EmitAsync("ask-me");
        await client.WaitForEventAsync("question");
        Assert.Equal("timeout", await outcome.WaitAsync());
    }

    [Fact]
    public async Task Client_ack_times_out_when_the_server_never_acknowledges()
    {
        await using var app = await SocketIOTestApp.StartAsync(io => io.OnConnection(socket => socket.On("ignored", _ => { })));
        await using var node = await NodeDriver.StartAsync();
        var client = await node.ConnectAsync(app.Url, ClientOptions.For("websocket"));
        await client.WaitForConnectAsync();

        var error = await Assert.ThrowsAsync<NodeCommandException>(() => client.EmitWithAckAsync("ignored", TimeSpan.FromMilliseconds(400), 1));
        Assert.Equal("operation has timed out", error.ErrorMessage);
    }

    [Theory]
    [MemberData(nameof(ClientOptions.Transports), MemberType = typeof(ClientOptions))]
    public async Task Middleware_rejection_reaches_the_client_with_message_and_data(string transports)
    {
        await using var app = await SocketIOTestApp.StartAsync(io =>
        {
            io.Use((socket, next) =>
            {
                var auth = socket.Handshake.Auth;
                var token = auth.ValueKind == JsonValueKind.Object && auth.TryGetProperty("token", out var t) ? t.GetString() : null;
                return token == "secret"
                    ? next()
                    : throw new ConnectErrorException("not authorized", new { code = 401, reason = "bad token" });
            });
            io.OnConnection(socket => socket.Emit("hello"));
        });
        await using var node = await NodeDriver.StartAsync();

        var refused = await node.ConnectAsync(app.Url, ClientOptions.For(transports, new JsonObject { ["token"] = "wrong" }));
        var error = await refused.WaitForConnectErrorAsync();
        Assert.Equal("not authorized", error.Message);
        Assert.Equal(401, error.Data.GetProperty("code").GetInt32());
        Assert.Equal("bad token", error.Data.GetProperty("reason").GetString());
        Assert.Empty(refused.EventsNamed("connect"));

        var accepted = await node.ConnectAsync(app.Url, ClientOptions.For(transports, new JsonObject { ["token"] = "secret" }));
        await accepted.WaitForConnectAsync();
        await accepted.WaitForEventAsync("hello");
    }

    [Fact]
    public async Task Namespace_middleware_refuses_one_namespace_while_another_connects_on_the_same_manager()
    {
        await using var app = await SocketIOTestApp.StartAsync(io =>
        {
            io.OnConnection(socket => socket.Emit("main-hello"));
            io.Of("/admin")
                .Use((socket, next) => throw new ConnectErrorException("admins only", new { required = "admin" }))
                .OnConnection(socket => socket.Emit("admin-hello"));
            io.Of("/chat").OnConnection(socket => socket.Emit("chat-hello", socket.Namespace.Name));
        });
        await using var node = await NodeDriver.StartAsync();
        var manager = await node.CreateManagerAsync(app.Url, ClientOptions.For("websocket"));
        var main = await manager.SocketAsync("/");
        var admin = await manager.SocketAsync("/admin");
        var chat = await manager.SocketAsync("/chat");

        await main.WaitForConnectAsync();
        await main.WaitForEventAsync("main-hello");
        await chat.WaitForConnectAsync();
        Assert.Equal("/chat", (await chat.WaitForEventAsync("chat-hello")).Arg(0).GetString());
        var error = await admin.WaitForConnectErrorAsync();
        Assert.Equal("admins only", error.Message);
        Assert.Equal("admin", error.Data.GetProperty("required").GetString());
        Assert.Empty(admin.EventsNamed("admin-hello"));
    }

    [Fact]
    public async Task Unknown_namespace_is_refused()
    {
        await using var app = await SocketIOTestApp.StartAsync();
        await using var node = await NodeDriver.StartAsync();
        var client = await node.ConnectAsync(app.Url + "/nowhere", ClientOptions.For("websocket"));
        Assert.Equal("Invalid namespace", (await client.WaitForConnectErrorAsync()).Message);
    }

    [Fact]
    public async Task Dynamic_namespace_accepts_matching_names()
    {
        await using var app = await SocketIOTestApp.StartAsync(io =>
            io.Of(new System.Text.RegularExpressions.Regex("^/team-\\d+$"))
                .OnConnection(socket => socket.Emit("where", socket.Namespace.Name)));
        await using var node = await NodeDriver.StartAsync();

        var team = await node.ConnectAsync(app.Url + "/team-42", ClientOptions.For("websocket"));
        await team.WaitForConnectAsync();
        Assert.Equal("/team-42", (await team.WaitForEventAsync("where")).Arg(0).GetString());

        var other = await node.ConnectAsync(app.Url + "/team-x", ClientOptions.For("websocket"));
        Assert.Equal("Invalid namespace", (await other.WaitForConnectErrorAsync()).Message);
    }

    [Fact]
    public async Task Handshake_exposes_query_headers_and_auth_to_the_server()
    {
        var seen = new AsyncCollector<string>();
        await using var app = await SocketIOTestApp.StartAsync(io => io.OnConnection(socket =>
        {
            var h = socket.Handshake;
            seen.Add($"{h.Query.GetValueOrDefault("room")}|{h.Headers.GetValueOrDefault("x-test")}|{h.Auth.GetProperty("user").GetString()}");
        }));
        await using var node = await NodeDriver.StartAsync();
        var options = ClientOptions.For("polling", new JsonObject { ["user"] = "ann" });
        options["query"] = new JsonObject { ["room"] = "lobby" };
        options["extraHeaders"] = new JsonObject { ["x-test"] = "yes" };
        var client = await node.ConnectAsync(app.Url, options);
        await client.WaitForConnectAsync();

        Assert.Equal("lobby|yes|ann", await seen.WaitAsync());
    }

    [Fact]
    public async Task Many_events_arrive_in_order_on_each_transport()
    {
        await using var app = await SocketIOTestApp.StartAsync(io => io.OnConnection(socket =>
            socket.On("burst", e =>
            {
                var count = e.Get<int>(0);
                for (var i = 0; i < count; i++)
                {
                    socket.Emit("item", i, new string('x', i % 50));
                }
            })));
        await using var node = await NodeDriver.StartAsync();
        foreach (var transports in new[] { "websocket", "polling" })
        {
            var client = await node.ConnectAsync(app.Url, ClientOptions.For(transports));
            await client.WaitForConnectAsync();
            await client.EmitAsync("burst", 200);
            for (var i = 0; i < 200; i++)
            {
                var item = await client.WaitForEventAsync("item");
                Assert.Equal(i, item.Arg(0).GetInt32());
            }

            await client.RemoveAsync();
        }
    }
}
