using System.Text.Json;
using System.Text.Json.Nodes;
using Raven.Testing;

namespace Raven.SocketIO.Tests.OfficialClient;

/// <summary>Hosts samples/Conformance once for the test class, plus one Node driver that the tests share.</summary>
public sealed class ConformanceAppFixture : IAsyncLifetime
{
    public TestHost Host { get; private set; } = null!;

    public NodeDriver Node { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Host = await TestHost.StartAsync(ConformanceApp.Build(["--Logging:LogLevel:Default=Warning"]));
        Node = await NodeDriver.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Node.DisposeAsync();
        await Host.DisposeAsync();
    }
}

/// <summary>
/// The conformance app (docs/conformance-app.md) driven by the official socket.io-client and engine.io-client, on
/// every transport variant, including the Socket.IO-over-polling paths the black-box checker never exercises.
/// </summary>
[Collection(StrictTimingCollection.Name)]
[Trait("Timing", "ConformanceHeartbeat")]
public sealed class ConformanceAppTests(ConformanceAppFixture fixture) : IClassFixture<ConformanceAppFixture>
{
    private static readonly byte[] First = [1, 2, 3];
    private static readonly byte[] Second = [4, 5, 6];

    private string Url => fixture.Host.BaseUrl;

    private NodeDriver Node => fixture.Node;

    [Theory]
    [MemberData(nameof(ClientOptions.Transports), MemberType = typeof(ClientOptions))]
    public async Task Engine_endpoint_echoes_text_and_binary(string transports)
    {
        var engine = await Node.OpenEngineAsync(Url, ClientOptions.Engine(transports, "/engine.io/"));
        try
        {
            var (sid, transport) = await engine.WaitForOpenAsync();
            Assert.False(string.IsNullOrEmpty(sid));
            Assert.Equal(transports == "websocket" ? "websocket" : "polling", transport);
            if (transports == "upgrade")
            {
                Assert.Equal("websocket", await engine.WaitForUpgradeAsync());
            }

            await engine.SendAsync("hello");
            Assert.Equal("hello", await engine.WaitForTextAsync());
            await engine.SendAsync(new byte[] { 1, 2, 3, 4 });
            Assert.Equal(new byte[] { 1, 2, 3, 4 }, await engine.WaitForBinaryAsync());
            await engine.SendAsync("héllo wörld ✓");
            Assert.Equal("héllo wörld ✓", await engine.WaitForTextAsync());
        }
        finally
        {
            await engine.RemoveAsync();
        }
    }

    [Theory]
    [InlineData("websocket")]
    [InlineData("polling")]
    public async Task Engine_session_that_answers_pings_stays_open(string transports)
    {
        var engine = await Node.OpenEngineAsync(Url, ClientOptions.Engine(transports, "/engine.io/"), recordPackets: true);
        try
        {
            await engine.WaitForOpenAsync();

            // pingInterval is 300 ms: three pings in a row, each answered by the client, and no close.
            for (var i = 0; i < 3; i++)
            {
                await engine.WaitForEventAsync("packet", predicate: e => e.Arg(0).GetProperty("type").GetString() == "ping");
            }

            Assert.Empty(engine.EventsNamed("close"));
            await engine.SendAsync("still here");
            Assert.Equal("still here", await engine.WaitForTextAsync());
        }
        finally
        {
            await engine.RemoveAsync();
        }
    }

    [Theory]
    [MemberData(nameof(ClientOptions.Transports), MemberType = typeof(ClientOptions))]
    public async Task Main_namespace_connect_emits_auth_with_the_handshake_payload(string transports)
    {
        var withToken = await Node.ConnectAsync(Url, ClientOptions.For(transports, new JsonObject { ["token"] = "123" }));
        var without = await Node.ConnectAsync(Url, ClientOptions.For(transports));
        try
        {
            Assert.False(string.IsNullOrEmpty(await withToken.WaitForConnectAsync()));
            var auth = await withToken.WaitForEventAsync("auth");
            Assert.Equal("""{"token":"123"}""", auth.Arg(0).GetRawText());

            await without.WaitForConnectAsync();
            Assert.Equal("{}", (await without.WaitForEventAsync("auth")).Arg(0).GetRawText());
        }
        finally
        {
            await withToken.RemoveAsync();
            await without.RemoveAsync();
        }
    }

    [Theory]
    [MemberData(nameof(ClientOptions.Transports), MemberType = typeof(ClientOptions))]
    public async Task Message_is_echoed_as_message_back_with_text_and_binary(string transports)
    {
        var client = await Node.ConnectAsync(Url, ClientOptions.For(transports));
        try
        {
            await client.WaitForConnectAsync();
            await TransportAssert.UsesExpectedTransportAsync(client, transports);

            await client.EmitAsync("message", 1, "2", new { _3 = new[] { true } });
            var back = await client.WaitForEventAsync("message-back");
            Assert.Equal("""[1,"2",{"_3":[true]}]""", JsonSerializer.Serialize(back.Args));

            await client.EmitAsync("message", First, Second);
            var binary = await client.WaitForEventAsync("message-back");
            Assert.Equal(First, JsBinary.Read(binary.Arg(0)));
            Assert.Equal(Second, JsBinary.Read(binary.Arg(1)));

            await client.EmitAsync("message", "mixed", new { file = First, list = new object[] { Second, 7 } });
            var mixed = await client.WaitForEventAsync("message-back");
            Assert.Equal("mixed", mixed.Arg(0).GetString());
            Assert.Equal(First, JsBinary.Read(mixed.Arg(1).GetProperty("file")));
            Assert.Equal(Second, JsBinary.Read(mixed.Arg(1).GetProperty("list")[0]));
            Assert.Equal(7, mixed.Arg(1).GetProperty("list")[1].GetInt32());
        }
        finally
        {
            await client.RemoveAsync();
        }
    }

    [Theory]
    [MemberData(nameof(ClientOptions.Transports), MemberType = typeof(ClientOptions))]
    public async Task Message_with_ack_acknowledges_with_all_arguments(string transports)
    {
        var client = await Node.ConnectAsync(Url, ClientOptions.For(transports));
        try
        {
            await client.WaitForConnectAsync();

            var ack = await client.EmitWithAckAsync("message-with-ack", TimeSpan.FromSeconds(10), 1, "2", new { _3 = new[] { false } });
            Assert.Equal("""[1,"2",{"_3":[false]}]""", JsonSerializer.Serialize(ack));

            var binaryAck = await client.EmitWithAckAsync("message-with-ack", TimeSpan.FromSeconds(10), First, Second);
            Assert.Equal(2, binaryAck.Length);
            Assert.Equal(First, JsBinary.Read(binaryAck[0]));
            Assert.Equal(Second, JsBinary.Read(binaryAck[1]));
        }
        finally
        {
            await client.RemoveAsync();
        }
    }

    [Fact]
    public async Task Ack_for_an_event_without_ack_handler_times_out_on_the_client()
    {
        var client = await Node.ConnectAsync(Url, ClientOptions.For("websocket"));
        try
        {
            await client.WaitForConnectAsync();
            var error = await Assert.ThrowsAsync<NodeCommandException>(
                () => client.EmitWithAckAsync("nobody-acks-this", TimeSpan.FromMilliseconds(500), 1));
            Assert.Equal("operation has timed out", error.ErrorMessage);
        }
        finally
        {
            await client.RemoveAsync();
        }
    }

    [Theory]
    [MemberData(nameof(ClientOptions.Transports), MemberType = typeof(ClientOptions))]
    public async Task Custom_namespace_multiplexes_with_main_on_one_manager(string transports)
    {
        var manager = await Node.CreateManagerAsync(Url, ClientOptions.For(transports));
        var main = await manager.SocketAsync("/");
        var custom = await manager.SocketAsync("/custom", new { auth = new { token = "abc" } });
        try
        {
            await main.WaitForConnectAsync();
            await custom.WaitForConnectAsync();
            Assert.Equal("""{"token":"abc"}""", (await custom.WaitForEventAsync("auth")).Arg(0).GetRawText());

            // Leaving /custom must not disturb / on the same Engine.IO connection.
            await custom.DisconnectAsync();
            Assert.Equal("io client disconnect", await custom.WaitForDisconnectAsync());
            await main.EmitAsync("message", "message to main namespace");
            Assert.Equal("message to main namespace", (await main.WaitForEventAsync("message-back")).Arg(0).GetString());
            Assert.Empty(main.EventsNamed("disconnect"));
        }
        finally
        {
            await main.RemoveAsync();
            await custom.RemoveAsync();
        }
    }

    [Theory]
    [InlineData("websocket")]
    [InlineData("polling")]
    public async Task Unknown_namespace_is_refused_with_invalid_namespace(string transports)
    {
        var client = await Node.ConnectAsync(Url + "/random", ClientOptions.For(transports));
        try
        {
            var error = await client.WaitForConnectErrorAsync();
            Assert.Equal("Invalid namespace", error.Message);
        }
        finally
        {
            await client.RemoveAsync();
        }
    }
}
