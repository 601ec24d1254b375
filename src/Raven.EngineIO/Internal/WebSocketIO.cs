using System.Buffers;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace Raven.EngineIO.Internal;

/// <summary>A pooled receive buffer that grows up to the payload limit; one per WebSocket.</summary>
internal sealed class MessageBuffer : IDisposable
{
    public byte[] Array { get; private set; } = ArrayPool<byte>.Shared.Rent(4096);

    public void Grow(int limit)
    {
        var next = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)Array.Length * 2, limit));
        Array.AsSpan().CopyTo(next);
        ArrayPool<byte>.Shared.Return(Array);
        Array = next;
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(Array);
        Array = [];
    }
}

internal enum ReceivedKind
{
    Text,
    Binary,
    Close,
    TooBig,
}

internal readonly record struct ReceivedMessage(ReceivedKind Kind, int Length);

/// <summary>WebSocket plumbing shared by the handshake and the upgrade path.</summary>
internal static class WebSocketIO
{
    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>Whether the request asks for an RFC 6455 upgrade that we can accept.</summary>
    public static bool IsUpgradeRequest(HttpContext context)
    {
        if (context.WebSockets.IsWebSocketRequest)
        {
            return true;
        }

        var request = context.Request;
        return HttpMethods.IsGet(request.Method)
            && context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true }
            && string.Equals(request.Headers.Upgrade.ToString(), "websocket", StringComparison.OrdinalIgnoreCase)
            && request.Headers.SecWebSocketVersion.ToString() == "13"
            && !string.IsNullOrEmpty(request.Headers.SecWebSocketKey.ToString());
    }

    /// <summary>
    /// Accepts the upgrade. Uses ASP.NET Core's WebSocket middleware when the app installed it, and otherwise
    /// completes the RFC 6455 handshake itself, so that mapping an endpoint needs no extra middleware.
    /// </summary>
    public static async Task<WebSocket> AcceptAsync(HttpContext context)
    {
        if (context.WebSockets.IsWebSocketRequest)
        {
            return await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { KeepAliveInterval = TimeSpan.Zero });
        }

        var key = context.Request.Headers.SecWebSocketKey.ToString();
        var hash = SHA1.HashData(Encoding.ASCII.GetBytes(key + AcceptGuid));
        var headers = context.Response.Headers;
        headers.Connection = "Upgrade";
        headers.Upgrade = "websocket";
        headers.SecWebSocketAccept = Convert.ToBase64String(hash);
        var stream = await context.Features.Get<IHttpUpgradeFeature>()!.UpgradeAsync();
        return WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
    }

    /// <summary>Reads one whole message into <paramref name="buffer"/>, refusing more than <paramref name="limit"/> bytes.</summary>
    public static async ValueTask<ReceivedMessage> ReceiveAsync(WebSocket socket, MessageBuffer buffer, int limit, CancellationToken cancellationToken)
    {
        var count = 0;
        while (true)
        {
            if (count == buffer.Array.Length)
            {
                if (count > limit)
                {
                    return new(ReceivedKind.TooBig, count);
                }

                buffer.Grow(limit + 1);
            }

            var result = await socket.ReceiveAsync(buffer.Array.AsMemory(count), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return new(ReceivedKind.Close, 0);
            }

            count += result.Count;
            if (count > limit)
            {
                return new(ReceivedKind.TooBig, count);
            }

            if (result.EndOfMessage)
            {
                return new(result.MessageType == WebSocketMessageType.Binary ? ReceivedKind.Binary : ReceivedKind.Text, count);
            }
        }
    }

    /// <summary>Sends a close frame and waits briefly for the peer's; a peer that never answers is aborted.</summary>
    public static async Task CloseQuietlyAsync(WebSocket socket, WebSocketCloseStatus status)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await socket.CloseOutputAsync(status, null, timeout.Token);
            }

            if (socket.State == WebSocketState.CloseSent)
            {
                var scratch = ArrayPool<byte>.Shared.Rent(256);
                try
                {
                    while ((await socket.ReceiveAsync(scratch.AsMemory(), timeout.Token)).MessageType != WebSocketMessageType.Close)
                    {
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(scratch);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The peer is gone or unresponsive: nothing left to tell it.
            socket.Abort();
        }
    }
}
