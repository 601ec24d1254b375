using Raven.EngineIO.Tests.Infrastructure;
using Raven.Testing;

namespace Raven.EngineIO.Tests;

/// <summary>Interop with the official engine.io-client (Node), through every transport combination.</summary>
public sealed class OfficialClientTests
{
    public static TheoryData<string[], bool, string> Modes => new()
    {
        { ["polling", "websocket"], true, "websocket" },
        { ["polling"], false, "polling" },
        { ["websocket"], false, "websocket" },
    };

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Echoes_text_and_binary_and_survives_heartbeats(string[] transports, bool upgrade, string finalTransport)
    {
        // Frequent pings, but a pong deadline that a busy CI machine running several Node processes can meet.
        var handler = new RecordingHandler();
        await using var host = await EngineHost.StartAsync(handler, o =>
        {
            o.PingInterval = TimeSpan.FromMilliseconds(300);
            o.PingTimeout = TimeSpan.FromSeconds(3);
        });
        await using var node = await NodeDriver.StartAsync();
        var client = await node.OpenEngineAsync(host.BaseUrl, new { path = "/engine.io/", transports, upgrade });
        await client.WaitForOpenAsync();
        if (upgrade)
        {
            Assert.Equal(finalTransport, await client.WaitForUpgradeAsync());
        }

        // Several 300 ms heartbeat rounds pass while we talk.
        for (var round = 0; round < 3; round++)
        {
            await client.SendAsync($"hello {round} €");
            await client.SendAsync([1, 2, 3, (byte)round]);
            Assert.Equal($"hello {round} €", await client.WaitForTextAsync());
            Assert.Equal([1, 2, 3, (byte)round], await client.WaitForBinaryAsync());
            await Task.Delay(350);
        }

        await client.CloseAsync();
        Assert.Empty(handler.Violations);
    }

    [Theory]
    [InlineData("polling")]
    [InlineData("websocket")]
    public async Task A_server_side_close_reaches_the_client_after_the_queued_messages(string transport)
    {
        var handler = new RecordingHandler();
        await using var host = await EngineHost.StartAsync(handler);
        await using var node = await NodeDriver.StartAsync();
        var client = await node.OpenEngineAsync(host.BaseUrl, new { path = "/engine.io/", transports = new[] { transport } });
        var (sid, _) = await client.WaitForOpenAsync();

        // Let the client's first long-poll settle in either state: it must not matter whether a GET is waiting.
        await Task.Delay(100);
        var connection = handler.Connection(sid);
        Assert.True(connection.TrySend([EngineMessage.Text("goodbye")]));
        connection.Close();

        Assert.Equal("goodbye", await client.WaitForTextAsync());
        await client.WaitForCloseAsync();
        Assert.Equal("forced close", await handler.ClosedReason(sid).WaitAsync(TimeSpan.FromSeconds(5)));
    }
}
