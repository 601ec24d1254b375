using System.Text.Json.Nodes;
using Raven.Testing;

namespace Raven.SocketIO.Tests.OfficialClient;

/// <summary>The disconnect reasons the official client reports, and reconnection after a server restart.</summary>
public sealed class DisconnectTests
{
    [Theory]
    [MemberData(nameof(ClientOptions.Transports), MemberType = typeof(ClientOptions))]
    public async Task Server_side_disconnect_is_io_server_disconnect(string transports)
    {
        var serverReasons = new AsyncCollector<string>();
        await using var app = await SocketIOTestApp.StartAsync(io => io.OnConnection(socket =>
        {
            socket.OnDisconnected((_, reason) =>
            {
                serverReasons.Add(reason);
                return Task.CompletedTask;
            });
            socket.On("kick-me", _ => socket.Disconnect());
        }));
        await using var node = await NodeDriver.StartAsync();
        var client = await node.ConnectAsync(app.Url, ClientOptions.For(transports));
        await client.WaitForConnectAsync();

        await client.EmitAsync("kick-me");
        Assert.Equal("io server disconnect", await client.WaitForDisconnectAsync());
        Assert.Equal(DisconnectReasons.ServerNamespaceDisconnect, await serverReasons.WaitAsync());
    }

    [Theory]
    [MemberData(nameof(ClientOptions.Transports), MemberType = typeof(ClientOptions))]
    public async Task Client_side_disconnect_is_io_client_disconnect(string transports)
    {
        var serverReasons = new AsyncCollector<string>();
        await using var app = await SocketIOTestApp.StartAsync(io => io.OnConnection(socket =>
            socket.OnDisconnected((_, reason) =>
            {
                serverReasons.Add(reason);
                return Task.CompletedTask;
            })));
        await using var node = await NodeDriver.StartAsync();
        var client = await node.ConnectAsync(app.Url, ClientOptions.For(transports));
        await client.WaitForConnectAsync();

        await client.DisconnectAsync();
        Assert.Equal("io client disconnect", await client.WaitForDisconnectAsync());
        Assert.Equal(DisconnectReasons.ClientNamespaceDisconnect, await serverReasons.WaitAsync());
    }

    [Theory]
    [InlineData("websocket")]
    [InlineData("polling")]
    public async Task Stalled_network_is_ping_timeout_on_both_sides(string transports)
    {
        var serverReasons = new AsyncCollector<string>();
        await using var app = await SocketIOTestApp.StartAsync(
            io => io.OnConnection(socket =>
                socket.OnDisconnected((_, reason) =>
                {
                    serverReasons.Add(reason);
                    return Task.CompletedTask;
                })),
            options =>
            {
                // Short enough for a quick test, long enough that a loaded CI machine connects before any deadline.
                options.EngineIO.PingInterval = TimeSpan.FromMilliseconds(1500);
                options.EngineIO.PingTimeout = TimeSpan.FromMilliseconds(1000);
            });
        await using var proxy = TcpProxy.Start(app.Port);
        await using var node = await NodeDriver.StartAsync();
        var client = await node.ConnectAsync(proxy.BaseUrl, ClientOptions.For(transports));
        await client.WaitForConnectAsync();

        // Connections stay open but nothing flows: neither side hears the other's heartbeat.
        proxy.Frozen = true;
        Assert.Equal("ping timeout", await client.WaitForDisconnectAsync());
        Assert.Equal(DisconnectReasons.PingTimeout, await serverReasons.WaitAsync());
    }

    [Fact]
    public async Task Dropped_connection_is_transport_close()
    {
        var serverReasons = new AsyncCollector<string>();
        await using var app = await SocketIOTestApp.StartAsync(io => io.OnConnection(socket =>
            socket.OnDisconnected((_, reason) =>
            {
                serverReasons.Add(reason);
                return Task.CompletedTask;
            })));
        await using var proxy = TcpProxy.Start(app.Port);
        await using var node = await NodeDriver.StartAsync();
        var client = await node.ConnectAsync(proxy.BaseUrl, ClientOptions.For("websocket"));
        await client.WaitForConnectAsync();

        proxy.DropConnections();
        Assert.Equal("transport close", await client.WaitForDisconnectAsync());
        Assert.Contains(await serverReasons.WaitAsync(), new[] { DisconnectReasons.TransportClose, DisconnectReasons.TransportError });
    }

    [Theory]
    [MemberData(nameof(ClientOptions.Transports), MemberType = typeof(ClientOptions))]
    public async Task Server_shutdown_is_transport_close(string transports)
    {
        var serverReasons = new AsyncCollector<string>();
        var app = await SocketIOTestApp.StartAsync(io => io.OnConnection(socket =>
            socket.OnDisconnected((_, reason) =>
            {
                serverReasons.Add(reason);
                return Task.CompletedTask;
            })));
        await using var node = await NodeDriver.StartAsync();
        try
        {
            var client = await node.ConnectAsync(app.Url, ClientOptions.For(transports));
            await client.WaitForConnectAsync();
            await TransportAssert.UsesExpectedTransportAsync(client, transports);

            // The server closes its sessions on the way down (a close packet), so the client learns why at once.
            await app.StopAsync();
            Assert.Equal("transport close", await client.WaitForDisconnectAsync());
            Assert.Equal(DisconnectReasons.ServerShuttingDown, await serverReasons.WaitAsync());
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("websocket")]
    [InlineData("polling")]
    public async Task Client_reconnects_after_the_server_restarts_on_the_same_port(string transports)
    {
        var connections = new AsyncCollector<string>();
        void Configure(SocketIOServer io) => io.OnConnection(socket =>
        {
            connections.Add(socket.Id);
            socket.On("echo", e => e.Ack(e.Get<string>(0)));
        });

        var first = await SocketIOTestApp.StartAsync(Configure);
        var port = first.Port;
        await using var node = await NodeDriver.StartAsync();
        var options = ClientOptions.For(transports, reconnection: true);
        options["reconnectionDelay"] = 100;
        options["reconnectionDelayMax"] = 300;
        options["randomizationFactor"] = 0;
        var client = await node.ConnectAsync(first.Url, options);
        var firstId = await client.WaitForConnectAsync();
        Assert.Equal(firstId, await connections.WaitAsync());

        await first.DisposeAsync();
        var reason = await client.WaitForDisconnectAsync();
        Assert.Contains(reason, new[] { "transport close", "transport error", "ping timeout" });
        await client.WaitForEventAsync("manager:reconnect_attempt");

        await using var second = await StartOnPortAsync(Configure, port);
        var secondId = await client.WaitForConnectAsync(TimeSpan.FromSeconds(20));
        Assert.NotEqual(firstId, secondId);
        await client.WaitForEventAsync("manager:reconnect");
        Assert.Equal(secondId, await connections.WaitAsync());
        Assert.Equal("still works", (await client.EmitWithAckAsync("echo", TimeSpan.FromSeconds(10), "still works"))[0].GetString());
    }

    /// <summary>The old listener's port can take a moment to be reusable; retry briefly instead of failing.</summary>
    private static async Task<SocketIOTestApp> StartOnPortAsync(Action<SocketIOServer> configure, int port)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await SocketIOTestApp.StartAsync(configure, port: port);
            }
            catch (IOException) when (attempt < 20)
            {
                await Task.Delay(250);
            }
        }
    }
}
