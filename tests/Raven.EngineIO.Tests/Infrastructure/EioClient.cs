using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Raven.EngineIO.Tests.Infrastructure;

/// <summary>A raw Engine.IO v4 client over HttpClient and ClientWebSocket: no library code of ours on this side.</summary>
public sealed class EioClient : IDisposable
{
    public const char Separator = '\u001e';

    private readonly HttpClient _http;

    public EioClient(string baseUrl, string path = "/engine.io/")
    {
        BaseUrl = baseUrl;
        Path = path;
        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 })
        {
            BaseAddress = new Uri(baseUrl),
            Timeout = TimeSpan.FromSeconds(20),
        };
    }

    public string BaseUrl { get; }

    public string Path { get; }

    public HttpClient Http => _http;

    public string PollingUrl(string? sid = null) => sid is null
        ? $"{Path}?EIO=4&transport=polling"
        : $"{Path}?EIO=4&transport=polling&sid={Uri.EscapeDataString(sid)}";

    public Uri WebSocketUri(string? sid = null)
    {
        var ws = BaseUrl.Replace("http://", "ws://", StringComparison.Ordinal);
        return new Uri(sid is null
            ? $"{ws}{Path}?EIO=4&transport=websocket"
            : $"{ws}{Path}?EIO=4&transport=websocket&sid={Uri.EscapeDataString(sid)}");
    }

    /// <summary>Polling handshake; returns the sid and the parsed open packet.</summary>
    public async Task<(string Sid, JsonElement Open)> HandshakeAsync()
    {
        var (status, body) = await GetAsync(PollingUrl());
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith("0", body, StringComparison.Ordinal);
        var open = JsonDocument.Parse(body.AsMemory(1)).RootElement.Clone();
        return (open.GetProperty("sid").GetString()!, open);
    }

    public async Task<(HttpStatusCode Status, string Body)> GetAsync(string url, CancellationToken cancellationToken = default)
    {
        using var response = await _http.GetAsync(url, cancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    public Task<(HttpStatusCode Status, string Body)> PollAsync(string sid, CancellationToken cancellationToken = default)
        => GetAsync(PollingUrl(sid), cancellationToken);

    public async Task<(HttpStatusCode Status, string Body)> PostAsync(string url, string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "text/plain");
        using var response = await _http.PostAsync(url, content);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public async Task<(HttpStatusCode Status, string Body)> PostBytesAsync(string url, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        using var response = await _http.PostAsync(url, content);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public Task<(HttpStatusCode Status, string Body)> SendAsync(string sid, string payload) => PostAsync(PollingUrl(sid), payload);

    public async Task<ClientWebSocket> ConnectWebSocketAsync(string? sid = null)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(WebSocketUri(sid), timeout.Token);
        return socket;
    }

    /// <summary>WebSocket handshake; returns the socket, the sid and the open packet.</summary>
    public async Task<(ClientWebSocket Socket, string Sid, JsonElement Open)> WebSocketHandshakeAsync()
    {
        var socket = await ConnectWebSocketAsync();
        var frame = await Ws.ReceiveAsync(socket);
        Assert.Equal(WebSocketMessageType.Text, frame.Type);
        Assert.StartsWith("0", frame.Text, StringComparison.Ordinal);
        var open = JsonDocument.Parse(frame.Text.AsMemory(1)).RootElement.Clone();
        return (socket, open.GetProperty("sid").GetString()!, open);
    }

    public void Dispose() => _http.Dispose();
}

public readonly record struct Frame(WebSocketMessageType Type, byte[] Data)
{
    public string Text => Encoding.UTF8.GetString(Data);

    public bool IsClose => Type == WebSocketMessageType.Close;
}

/// <summary>ClientWebSocket helpers.</summary>
public static class Ws
{
    public static Task SendTextAsync(WebSocket socket, string text)
        => socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    public static Task SendBinaryAsync(WebSocket socket, byte[] data)
        => socket.SendAsync(data, WebSocketMessageType.Binary, true, CancellationToken.None);

    /// <summary>The next whole message; a close frame comes back as a Close frame. Throws after the timeout.</summary>
    public static async Task<Frame> ReceiveAsync(WebSocket socket, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(5));
        var buffer = new byte[64 * 1024];
        using var data = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, cts.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return new Frame(WebSocketMessageType.Close, []);
            }

            data.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return new Frame(result.MessageType, data.ToArray());
            }
        }
    }

    /// <summary>The next frame that is not a ping (<c>2</c>): heartbeats may interleave with what a test waits for.</summary>
    public static async Task<Frame> ReceiveSkippingPingsAsync(WebSocket socket, TimeSpan? timeout = null)
    {
        while (true)
        {
            var frame = await ReceiveAsync(socket, timeout);
            if (frame.Type == WebSocketMessageType.Text && frame.Text == "2")
            {
                await SendTextAsync(socket, "3");
                continue;
            }

            return frame;
        }
    }

    /// <summary>
    /// Reads until the server closes the socket (close frame, or the connection dropping). Returns false if it was
    /// still open after <paramref name="within"/>. Frames received meanwhile are ignored.
    /// </summary>
    public static async Task<bool> WaitForCloseAsync(WebSocket socket, TimeSpan within)
    {
        using var cts = new CancellationTokenSource(within);
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, cts.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return true;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (WebSocketException)
        {
            return true;
        }
    }
}
