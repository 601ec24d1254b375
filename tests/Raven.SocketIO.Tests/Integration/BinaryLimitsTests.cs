using Raven.SocketIO.Tests.OfficialClient;

namespace Raven.SocketIO.Tests.Integration;

/// <summary>Runs alone, so the managed-heap measurements below see this test's allocations and little else.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasuringCollection
{
    public const string Name = "memory-measuring";
}

/// <summary>
/// Issue 6 #2: binary attachments are the one thing a client can make the server hold across frames. Through Kestrel
/// and a raw WebSocket (the official client never sends these packets): no binary before CONNECT, at most
/// <see cref="SocketIOOptions.MaxAttachments"/> attachments, a packet and its attachments within maxHttpBufferSize.
/// </summary>
[Collection(MemoryMeasuringCollection.Name)]
public sealed class BinaryLimitsTests
{
    private const string P0 = "{\"_placeholder\":true,\"num\":0}";

    [Fact]
    public async Task Pre_connect_binary_flood_closes_the_session_and_the_server_holds_no_attachments()
    {
        await using var app = await SocketIOTestApp.StartAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(app.Url);
        await client.OpenAsync();
        var before = GC.GetTotalMemory(forceFullCollection: true);

        // The black-box review's attack: announce 1000 attachments without CONNECT, then stream ~1 MB frames.
        await client.SendAsync("451000-[\"x\"," + P0 + "]");
        var frame = new byte[900_000];
        for (var i = 0; i < 80 && await TrySendBinaryAsync(client, frame); i++)
        {
        }

        Assert.True(await ClosedAsync(client), "the session must be closed");
        var held = GC.GetTotalMemory(forceFullCollection: true) - before;
        Assert.True(held < 30_000_000, $"server still holds {held:N0} bytes after a 72 MB pre-CONNECT flood");
    }

    [Fact]
    public async Task Binary_packet_with_an_allowed_attachment_count_before_connect_closes_the_session()
    {
        await using var app = await SocketIOTestApp.StartAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(app.Url);
        await client.OpenAsync();
        await client.SendAsync("451-[\"x\"," + P0 + "]");
        Assert.True(await ClosedAsync(client), "binary before CONNECT must close the session");
    }

    [Fact]
    public async Task More_attachments_than_the_limit_close_the_session_and_the_limit_itself_is_accepted()
    {
        var received = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await SocketIOTestApp.StartAsync(
            io => io.OnConnection(s => s.On("files", e => received.TrySetResult(e.Attachments.Count))),
            o => o.MaxAttachments = 3);

        await using var allowed = await ConnectedAsync(app.Url);
        await allowed.SendAsync("453-[\"files\"," + P0 + "]");
        for (byte i = 0; i < 3; i++)
        {
            await allowed.SendBinaryAsync(i);
        }

        Assert.Equal(3, await received.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(allowed.IsOpen);

        await using var tooMany = await ConnectedAsync(app.Url);
        await tooMany.SendAsync("454-[\"files\"," + P0 + "]");
        Assert.True(await ClosedAsync(tooMany), "4 attachments over a limit of 3 must close the session");
    }

    [Fact]
    public async Task Attachments_adding_up_past_max_http_buffer_size_close_the_session()
    {
        var events = 0;
        await using var app = await SocketIOTestApp.StartAsync(
            io => io.OnConnection(s => s.On("files", _ => Interlocked.Increment(ref events))),
            o => o.EngineIO.MaxHttpBufferSize = 100_000);
        await using var client = await ConnectedAsync(app.Url);

        // Each frame fits the Engine.IO limit on its own; together they exceed it.
        await client.SendAsync("455-[\"files\"," + P0 + "]");
        var frame = new byte[30_000];
        for (var i = 0; i < 5 && await TrySendBinaryAsync(client, frame); i++)
        {
        }

        Assert.True(await ClosedAsync(client), "150 kB of attachments over a 100 kB limit must close the session");
        Assert.Equal(0, Volatile.Read(ref events));
    }

    private static async Task<RawWebSocketClient> ConnectedAsync(string url)
    {
        var client = await RawWebSocketClient.ConnectAsync(url);
        await client.OpenAsync();
        await client.SendAsync("40");
        Assert.StartsWith("40{\"sid\":", await client.ReceiveSkippingPingsAsync());
        return client;
    }

    private static async Task<bool> TrySendBinaryAsync(RawWebSocketClient client, byte[] frame)
    {
        try
        {
            await client.SendBinaryAsync(frame);
            return true;
        }
        catch (Exception ex) when (ex is System.Net.WebSockets.WebSocketException or IOException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>True when the server closes the session within 10 s (false when it keeps it open or sends anything else).</summary>
    private static async Task<bool> ClosedAsync(RawWebSocketClient client)
    {
        try
        {
            var frame = await client.ReceiveSkippingPingsAsync(10_000);
            if (frame == "1")
            {
                // Engine.IO's close packet comes first, then the WebSocket closes.
                frame = await client.ReceiveSkippingPingsAsync(10_000);
            }

            return frame is null;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
