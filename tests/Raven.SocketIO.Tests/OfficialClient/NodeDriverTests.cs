using System.Text.Json;
using Raven.Testing;

namespace Raven.SocketIO.Tests.OfficialClient;

/// <summary>The test infrastructure itself: the Node driver against a minimal fake server, and against nothing.</summary>
public sealed class NodeDriverTests
{
    private static readonly object WebSocketOnly = new { transports = new[] { "websocket" }, reconnection = false };

    [Fact]
    public async Task Connect_emit_and_ack_round_trip_through_the_official_client()
    {
        await using var host = await FakeSocketIOServer.StartAsync();
        await using var node = await NodeDriver.StartAsync();

        var client = await node.ConnectAsync(host.BaseUrl, new { transports = new[] { "websocket" }, reconnection = false, auth = new { token = "good" } });
        Assert.Equal("fake-socket", await client.WaitForConnectAsync());
        var welcome = await client.WaitForEventAsync("welcome");
        Assert.Equal("good", welcome.Arg(0).GetProperty("token").GetString());

        await client.EmitAsync("echo", "text", 42, new { nested = true }, null);
        var echo = await client.WaitForEventAsync("echo");
        Assert.Equal("""["text",42,{"nested":true},null]""", JsonSerializer.Serialize(echo.Args));

        var ack = await client.EmitWithAckAsync("sum", TimeSpan.FromSeconds(5), 1, "two");
        Assert.Equal(2, ack.Length);
        Assert.Equal(1, ack[0].GetInt32());
        Assert.Equal("two", ack[1].GetString());
    }

    [Fact]
    public async Task Binary_arguments_travel_both_ways_as_dollar_binary()
    {
        await using var host = await FakeSocketIOServer.StartAsync();
        await using var node = await NodeDriver.StartAsync();
        var client = await node.ConnectAsync(host.BaseUrl, WebSocketOnly);
        await client.WaitForConnectAsync();

        byte[] payload = [0, 1, 2, 253, 254, 255];
        await client.EmitAsync("bin", payload);
        var echo = await client.WaitForEventAsync("bin");
        Assert.Equal(payload, JsBinary.Read(echo.Arg(0)));
    }

    [Fact]
    public async Task Ack_timeout_is_reported_as_a_command_error()
    {
        await using var host = await FakeSocketIOServer.StartAsync();
        await using var node = await NodeDriver.StartAsync();
        var client = await node.ConnectAsync(host.BaseUrl, WebSocketOnly);
        await client.WaitForConnectAsync();

        var error = await Assert.ThrowsAsync<NodeCommandException>(() => client.EmitWithAckAsync("silent", TimeSpan.FromMilliseconds(300)));
        Assert.Equal("operation has timed out", error.ErrorMessage);
    }

    [Fact]
    public async Task Client_answers_server_ack_requests_with_the_registered_reply()
    {
        await using var host = await FakeSocketIOServer.StartAsync();
        await using var node = await NodeDriver.StartAsync();
        var client = await node.ConnectAsync(host.BaseUrl, WebSocketOnly);
        await client.WaitForConnectAsync();

        await client.OnAckRequestAsync("question", "yes", 7);
        await client.EmitAsync("ask");
        var question = await client.WaitForEventAsync("question");
        Assert.Equal(1, question.Arg(0).GetInt32());
        var answer = await client.WaitForEventAsync("answer");
        Assert.Equal("yes", answer.Arg(0).GetString());
        Assert.Equal(7, answer.Arg(1).GetInt32());
    }

    [Fact]
    public async Task Connect_error_exposes_message_and_data()
    {
        await using var host = await FakeSocketIOServer.StartAsync();
        await using var node = await NodeDriver.StartAsync();
        var client = await node.ConnectAsync(host.BaseUrl, new { transports = new[] { "websocket" }, reconnection = false, auth = new { token = "bad" } });

        var error = await client.WaitForConnectErrorAsync();
        Assert.Equal("unauthorized", error.Message);
        Assert.Equal(42, error.Data.GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task Disconnect_reasons_for_server_and_client_initiated_disconnects()
    {
        await using var host = await FakeSocketIOServer.StartAsync();
        await using var node = await NodeDriver.StartAsync();
        var kicked = await node.ConnectAsync(host.BaseUrl, WebSocketOnly);
        var leaving = await node.ConnectAsync(host.BaseUrl, WebSocketOnly);
        await kicked.WaitForConnectAsync();
        await leaving.WaitForConnectAsync();

        await kicked.EmitAsync("kick");
        Assert.Equal("io server disconnect", await kicked.WaitForDisconnectAsync());

        await leaving.DisconnectAsync();
        Assert.Equal("io client disconnect", await leaving.WaitForDisconnectAsync());
    }

    [Fact]
    public async Task Raw_engine_io_client_sends_and_receives_text_and_binary()
    {
        await using var host = await FakeSocketIOServer.StartAsync();
        await using var node = await NodeDriver.StartAsync();
        var engine = await node.OpenEngineAsync(host.BaseUrl, new { transports = new[] { "websocket" }, path = "/socket.io/" });

        var (sid, transport) = await engine.WaitForOpenAsync();
        Assert.Equal("fake", sid);
        Assert.Equal("websocket", transport);

        await engine.SendAsync("hello");
        Assert.Equal("hello", await engine.WaitForTextAsync());
        await engine.SendAsync(new byte[] { 9, 8, 7 });
        Assert.Equal(new byte[] { 9, 8, 7 }, await engine.WaitForBinaryAsync());

        await engine.CloseAsync();
        Assert.Equal("forced close", await engine.WaitForCloseAsync());
    }

    [Fact]
    public async Task Unreachable_server_gives_connect_error_and_bad_commands_do_not_kill_the_driver()
    {
        await using var node = await NodeDriver.StartAsync();
        var port = FreePort.Get();
        var client = await node.ConnectAsync($"http://127.0.0.1:{port}", WebSocketOnly);
        var error = await client.WaitForConnectErrorAsync();
        Assert.False(string.IsNullOrEmpty(error.Message));

        var unknown = await Assert.ThrowsAsync<NodeCommandException>(() => node.SendCommandAsync("no-such-command"));
        Assert.Contains("unknown command", unknown.Message);
        var missing = await Assert.ThrowsAsync<NodeCommandException>(() => node.SendCommandAsync("emit", new { client = "nobody", @event = "x" }));
        Assert.Contains("unknown client", missing.Message);

        Assert.Equal("pong", (await node.SendCommandAsync("ping")).GetString());
    }

    [Fact]
    public async Task Wait_timeout_message_lists_the_events_received()
    {
        await using var host = await FakeSocketIOServer.StartAsync();
        await using var node = await NodeDriver.StartAsync();
        var client = await node.ConnectAsync(host.BaseUrl, WebSocketOnly);
        await client.WaitForConnectAsync();
        await client.WaitForEventAsync("welcome");

        var timeout = await Assert.ThrowsAsync<TimeoutException>(() => client.WaitForEventAsync("never", TimeSpan.FromMilliseconds(200)));
        Assert.Contains("'never'", timeout.Message);
        Assert.Contains("'welcome'", timeout.Message);
        Assert.Contains("'connect'", timeout.Message);
    }

    [Fact]
    public async Task External_process_output_is_captured_and_stop_kills_it_by_pid()
    {
        await using var process = ExternalProcess.Start(
            "node",
            ["-e", "console.log('listening on ' + process.env.RAVEN_PROBE); setInterval(() => {}, 1000);"],
            environment: new Dictionary<string, string?> { ["RAVEN_PROBE"] = "probe-42" });

        var line = await process.WaitForOutputAsync(l => l.StartsWith("listening", StringComparison.Ordinal), TimeSpan.FromSeconds(20));
        Assert.Equal("listening on probe-42", line);
        Assert.False(process.HasExited);

        await process.StopAsync();
        Assert.True(process.HasExited);
        var error = await Assert.ThrowsAsync<TimeoutException>(() => process.WaitForOutputAsync(l => l == "never", TimeSpan.FromSeconds(5)));
        Assert.Contains("exited", error.Message);
    }

    [Fact]
    public async Task Dispose_ends_the_node_process()
    {
        var node = await NodeDriver.StartAsync();
        var pid = node.Pid;
        await node.DisposeAsync();
        Assert.True(HasExited(pid), $"node pid {pid} still runs after dispose");

        static bool HasExited(int pid)
        {
            try
            {
                using var p = System.Diagnostics.Process.GetProcessById(pid);
                return p.HasExited;
            }
            catch (ArgumentException)
            {
                return true;
            }
        }
    }
}
