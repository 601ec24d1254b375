using Raven.Testing;

namespace Raven.SocketIO.Tests.OfficialClient;

/// <summary>The handler API beyond the raw form: event middleware, typed binding and its errors, seen by the official client.</summary>
public sealed class HandlerApiTests
{
    public sealed record Move(int X, int Y);

    [Theory]
    [MemberData(nameof(ClientOptions.Transports), MemberType = typeof(ClientOptions))]
    public async Task Event_middleware_can_refuse_an_event_with_an_ack_and_let_others_through(string transports)
    {
        var handled = new AsyncCollector<string>();
        await using var app = await SocketIOTestApp.StartAsync(io => io.OnConnection(socket =>
        {
            socket.Use((e, next) =>
            {
                if (e.Name == "limited")
                {
                    // What a per-socket rate limiter does when the bucket is empty.
                    e.Ack(new { ok = false, error = new { code = "RATE_LIMITED", message = "Too many events" } });
                    return Task.CompletedTask;
                }

                return next();
            });
            socket.On("limited", e => handled.Add("limited"));
            socket.On("free", e =>
            {
                handled.Add("free");
                e.Ack("ok");
            });
        }));
        await using var node = await NodeDriver.StartAsync();
        var client = await node.ConnectAsync(app.Url, ClientOptions.For(transports));
        await client.WaitForConnectAsync();

        var refused = await client.EmitWithAckAsync("limited", TimeSpan.FromSeconds(10), 1);
        Assert.Equal("RATE_LIMITED", refused[0].GetProperty("error").GetProperty("code").GetString());
        var passed = await client.EmitWithAckAsync("free", TimeSpan.FromSeconds(10), 2);
        Assert.Equal("ok", passed[0].GetString());
        Assert.Equal("free", await handled.WaitAsync());
        Assert.Equal(["free"], handled.Items);
    }

    [Theory]
    [MemberData(nameof(ClientOptions.Transports), MemberType = typeof(ClientOptions))]
    public async Task Typed_handler_that_cannot_bind_answers_the_ack_with_an_error_and_is_not_called(string transports)
    {
        var calls = new AsyncCollector<string>();
        await using var app = await SocketIOTestApp.StartAsync(io => io.OnConnection(socket =>
            socket.On<Move>("move", (s, move, ack) =>
            {
                calls.Add($"{move.X},{move.Y}");
                ack?.Send(new { ok = true });
            })));
        await using var node = await NodeDriver.StartAsync();
        var client = await node.ConnectAsync(app.Url, ClientOptions.For(transports));
        await client.WaitForConnectAsync();

        var bad = await client.EmitWithAckAsync("move", TimeSpan.FromSeconds(10), new { x = "left", y = 2 });
        Assert.False(bad[0].GetProperty("ok").GetBoolean());
        Assert.Equal("INVALID_PAYLOAD", bad[0].GetProperty("error").GetProperty("code").GetString());
        Assert.Empty(calls.Items);

        var good = await client.EmitWithAckAsync("move", TimeSpan.FromSeconds(10), new { x = 1, y = 2 });
        Assert.True(good[0].GetProperty("ok").GetBoolean());
        Assert.Equal("1,2", await calls.WaitAsync());
    }

    [Fact]
    public async Task Two_argument_typed_handler_binds_both_and_the_binding_error_reply_is_configurable()
    {
        var calls = new AsyncCollector<string>();
        await using var app = await SocketIOTestApp.StartAsync(
            io => io.OnConnection(socket =>
                socket.On<string, Move>("place", (s, name, move, ack) =>
                {
                    calls.Add($"{name}@{move.X},{move.Y}");
                    ack?.Send("placed");
                    return Task.CompletedTask;
                })),
            o => o.InvalidPayloadAck = (e, index, _) => $"bad argument {index} of {e.Name}");
        await using var node = await NodeDriver.StartAsync();
        var client = await node.ConnectAsync(app.Url, ClientOptions.For("websocket"));
        await client.WaitForConnectAsync();

        var good = await client.EmitWithAckAsync("place", TimeSpan.FromSeconds(10), "rook", new { x = 0, y = 7 });
        Assert.Equal("placed", good[0].GetString());
        Assert.Equal("rook@0,7", await calls.WaitAsync());

        var bad = await client.EmitWithAckAsync("place", TimeSpan.FromSeconds(10), "rook", new[] { 1, 2 });
        Assert.Equal("bad argument 1 of place", bad[0].GetString());
        Assert.Single(calls.Items);
    }
}
