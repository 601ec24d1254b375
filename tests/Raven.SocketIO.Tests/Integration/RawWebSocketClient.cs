using System.Net.WebSockets;
using System.Text;

namespace Raven.SocketIO.Tests.Integration;

/// <summary>A raw Engine.IO WebSocket client: frames as strings ("BIN " + hex for binary), like the black-box checker.</summary>
internal sealed class RawWebSocketClient : IAsyncDisposable
{
    private readonly ClientWebSocket _ws = new();

    public static async Task<RawWebSocketClient> ConnectAsync(string baseUrl, string path = "/socket.io/")
    {
        var client = new RawWebSocketClient();
        var uri = new Uri(baseUrl.Replace("http://", "ws://") + path + "?EIO=4&transport=websocket");
        await client._ws.ConnectAsync(uri, CancellationToken.None);
        return client;
    }

    public bool IsOpen => _ws.State == WebSocketState.Open;

    public Task SendAsync(string text)
        => _ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    public Task SendBinaryAsync(params byte[] data)
        => _ws.SendAsync(data, WebSocketMessageType.Binary, true, CancellationToken.None);

    /// <summary>The next frame; null when the server closed the connection.</summary>
    public async Task<string?> ReceiveAsync(int timeoutMs = 5000)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        var buffer = new byte[64 * 1024];
        var length = 0;
        while (true)
        {
            WebSocketReceiveResult result;
            try
            {
                result = await _ws.ReceiveAsync(buffer.AsMemory(length), cts.Token) is var r
                    ? new WebSocketReceiveResult(r.Count, r.MessageType, r.EndOfMessage)
                    : throw new InvalidOperationException();
            }
            catch (WebSocketException)
            {
                return null;
            }

            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            length += result.Count;
            if (result.EndOfMessage)
            {
                return result.MessageType == WebSocketMessageType.Binary
                    ? "BIN " + Convert.ToHexString(buffer, 0, length)
                    : Encoding.UTF8.GetString(buffer, 0, length);
            }
        }
    }

    /// <summary>The next frame that is not an Engine.IO ping (which is answered with a pong).</summary>
    public async Task<string?> ReceiveSkippingPingsAsync(int timeoutMs = 5000)
    {
        while (true)
        {
            var frame = await ReceiveAsync(timeoutMs);
            if (frame != "2")
            {
                return frame;
            }

            await SendAsync("3");
        }
    }

    /// <summary>Reads the open packet and returns it.</summary>
    public async Task<string> OpenAsync()
    {
        var open = await ReceiveAsync();
        Assert.NotNull(open);
        Assert.StartsWith("0{", open);
        return open;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_ws.State == WebSocketState.Open)
            {
                using var cts = new CancellationTokenSource(1000);
                await _ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
            }
        }
        catch (Exception)
        {
            // Closing a socket the server already dropped.
        }

        _ws.Dispose();
    }
}
