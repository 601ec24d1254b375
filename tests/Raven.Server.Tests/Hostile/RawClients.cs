using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Raven.Server.Tests.Hostile;

/// <summary>Engine.IO long-polling spoken by hand over HttpClient, so that any body can be sent.</summary>
internal sealed class RawPolling(HttpClient http, string baseUrl)
{
    private readonly string _endpoint = baseUrl + "/socket.io/?EIO=4&transport=polling";

    /// <summary>Opens a session; returns its sid, or null with the status when the handshake was refused.</summary>
    public async Task<(string? Sid, HttpStatusCode Status)> HandshakeAsync(IEnumerable<KeyValuePair<string, string>>? headers = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _endpoint);
        foreach (var (name, value) in headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await http.SendAsync(request);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return (null, response.StatusCode);
        }

        var body = await response.Content.ReadAsStringAsync();
        using var open = JsonDocument.Parse(body.AsMemory(1));
        return (open.RootElement.GetProperty("sid").GetString(), response.StatusCode);
    }

    public async Task<HttpStatusCode> PostAsync(string sid, byte[] body) => (await PostForAnswerAsync(sid, body)).Status;

    /// <summary>A POST; returns its status and body.</summary>
    public async Task<(HttpStatusCode Status, string Body)> PostForAnswerAsync(string sid, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/plain");
        using var response = await http.PostAsync($"{_endpoint}&sid={Uri.EscapeDataString(sid)}", content);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public Task<HttpStatusCode> PostAsync(string sid, string body) => PostAsync(sid, Encoding.UTF8.GetBytes(body));

    /// <summary>A POST whose body streams in chunks without a Content-Length, <paramref name="total"/> bytes in all.</summary>
    public async Task<HttpStatusCode> PostStreamingAsync(string sid, int total)
    {
        using var content = new PushStreamContent(total);
        using var response = await http.PostAsync($"{_endpoint}&sid={Uri.EscapeDataString(sid)}", content);
        return response.StatusCode;
    }

    /// <summary>One GET; null when nothing came within <paramref name="wait"/>.</summary>
    public async Task<(HttpStatusCode Status, string Body)?> PollAsync(string sid, TimeSpan wait)
    {
        using var cts = new CancellationTokenSource(wait);
        try
        {
            using var response = await http.GetAsync($"{_endpoint}&sid={Uri.EscapeDataString(sid)}", cts.Token);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(cts.Token));
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    private sealed class PushStreamContent(int total) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var chunk = Encoding.ASCII.GetBytes(new string('4', 64 * 1024));
            for (var sent = 0; sent < total; sent += chunk.Length)
            {
                await stream.WriteAsync(chunk.AsMemory(0, Math.Min(chunk.Length, total - sent)));
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }
}

/// <summary>An Engine.IO WebSocket spoken by hand: any frame (text with invalid UTF-8, fragments, huge ones) can be sent.</summary>
internal sealed class RawWebSocket : IAsyncDisposable
{
    private readonly ClientWebSocket _ws = new();
    private readonly byte[] _buffer = new byte[64 * 1024];

    public static async Task<RawWebSocket> OpenAsync(string baseUrl)
    {
        var socket = new RawWebSocket();
        socket._ws.Options.KeepAliveInterval = TimeSpan.Zero;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await socket._ws.ConnectAsync(new Uri(baseUrl.Replace("http://", "ws://", StringComparison.Ordinal) + "/socket.io/?EIO=4&transport=websocket"), cts.Token);
        var open = await socket.ReceiveAsync(TimeSpan.FromSeconds(10));
        if (open is null || !open.StartsWith('0'))
        {
            throw new InvalidOperationException($"Expected an open packet, got '{open}'.");
        }

        return socket;
    }

    public bool IsOpen => _ws.State == WebSocketState.Open;

    /// <summary>Whether the last receive gave up waiting (which aborts a ClientWebSocket) rather than saw a close.</summary>
    public bool TimedOut { get; private set; }

    /// <summary>Sends a frame; false when the server has already closed the connection.</summary>
    public async Task<bool> TrySendAsync(ReadOnlyMemory<byte> data, WebSocketMessageType type = WebSocketMessageType.Text, bool endOfMessage = true)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await _ws.SendAsync(data, type, endOfMessage, cts.Token);
            return true;
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            return false;
        }
    }

    public Task<bool> TrySendAsync(string text) => TrySendAsync(Encoding.UTF8.GetBytes(text));

    /// <summary>The next text frame (binary frames as "BIN"), answering pings; null when closed or nothing came in time.</summary>
    public async Task<string?> ReceiveAsync(TimeSpan wait)
    {
        using var cts = new CancellationTokenSource(wait);
        try
        {
            while (true)
            {
                using var message = new MemoryStream();
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await _ws.ReceiveAsync(_buffer.AsMemory(), cts.Token);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return null;
                    }

                    message.Write(_buffer, 0, result.Count);
                }
                while (!result.EndOfMessage);

                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    return "BIN";
                }

                var text = Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length);
                if (text == "2")
                {
                    await _ws.SendAsync("3"u8.ToArray(), WebSocketMessageType.Text, true, cts.Token);
                    continue;
                }

                return text;
            }
        }
        catch (OperationCanceledException)
        {
            TimedOut = true;
            return null;
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or IOException)
        {
            return null;
        }
    }

    /// <summary>Reads frames until one starts with <paramref name="prefix"/>; null when closed or none came in time.</summary>
    public async Task<string?> ReceiveStartingWithAsync(string prefix, TimeSpan wait)
    {
        var until = DateTime.UtcNow + wait;
        while (DateTime.UtcNow < until)
        {
            var frame = await ReceiveAsync(until - DateTime.UtcNow);
            if (frame is null || frame.StartsWith(prefix, StringComparison.Ordinal))
            {
                return frame;
            }
        }

        return null;
    }

    /// <summary>Reads (and drops) frames until the server closes; true when it did within <paramref name="wait"/>.</summary>
    public async Task<bool> ClosedByServerWithinAsync(TimeSpan wait)
    {
        var until = DateTime.UtcNow + wait;
        while (DateTime.UtcNow < until)
        {
            if (await ReceiveAsync(until - DateTime.UtcNow) is null)
            {
                return !TimedOut;
            }
        }

        return false;
    }

    public ValueTask DisposeAsync()
    {
        _ws.Abort();
        _ws.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>A slowloris connection: an HTTP request written one byte at a time over a raw TCP socket.</summary>
internal static class Slowloris
{
    /// <summary>
    /// Sends the first <paramref name="sendFirst"/> bytes at once, then trickles the rest of <paramref name="request"/> one byte per <paramref name="interval"/>; returns how long it took the
    /// server to close the connection, or null if it was still open when everything was sent and
    /// <paramref name="grace"/> had passed.
    /// </summary>
    public static async Task<TimeSpan?> TrickleAsync(int port, byte[] request, TimeSpan interval, TimeSpan grace, CancellationToken cancel, int sendFirst = 0)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port, cancel);
        var stream = tcp.GetStream();
        var clock = Stopwatch.StartNew();
        var closed = ReadUntilClosedAsync(stream, cancel);
        await stream.WriteAsync(request.AsMemory(0, sendFirst), cancel);
        for (var i = sendFirst; i < request.Length && !closed.IsCompleted && !cancel.IsCancellationRequested; i++)
        {
            try
            {
                await stream.WriteAsync(request.AsMemory(i, 1), cancel);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                return clock.Elapsed;
            }

            await Task.WhenAny(closed, Task.Delay(interval, cancel));
        }

        var done = await Task.WhenAny(closed, Task.Delay(grace, cancel));
        return done == closed ? clock.Elapsed : null;
    }

    private static async Task ReadUntilClosedAsync(NetworkStream stream, CancellationToken cancel)
    {
        var buffer = new byte[4096];
        try
        {
            while (await stream.ReadAsync(buffer, cancel) > 0)
            {
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
        }
    }
}
