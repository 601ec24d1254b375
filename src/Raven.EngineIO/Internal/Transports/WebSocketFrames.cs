using System.Buffers;
using System.Net.WebSockets;

namespace Raven.EngineIO.Internal;

internal enum ReceivedKind
{
    Text,
    Binary,
    Close,
    TooBig,
}

/// <summary>One received WebSocket message in a rented buffer; <see cref="Dispose"/> gives the buffer back.</summary>
internal readonly struct ReceivedMessage(ReceivedKind kind, byte[]? buffer, int length) : IDisposable
{
    public ReceivedKind Kind { get; } = kind;

    public int Length { get; } = length;

    public ReadOnlySpan<byte> Span => buffer.AsSpan(0, Length);

    public ReadOnlySequence<byte> Sequence => buffer is null ? default : new ReadOnlySequence<byte>(buffer, 0, Length);

    public void Dispose()
    {
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>Reading and closing WebSockets, shared by the WebSocket transport and the upgrade.</summary>
internal static class WebSocketFrames
{
    private const int InitialBuffer = 4096;

    /// <summary>
    /// Waits for the next message with a zero-byte read, so that an idle socket holds no buffer, then reads the
    /// whole message into a rented buffer, refusing more than <paramref name="limit"/> bytes.
    /// </summary>
    public static async ValueTask<ReceivedMessage> ReceiveAsync(WebSocket socket, int limit, CancellationToken cancellationToken)
    {
        var first = await socket.ReceiveAsync(Memory<byte>.Empty, cancellationToken);
        if (first.MessageType == WebSocketMessageType.Close)
        {
            return new(ReceivedKind.Close, null, 0);
        }

        var kind = first.MessageType == WebSocketMessageType.Binary ? ReceivedKind.Binary : ReceivedKind.Text;
        if (first.EndOfMessage)
        {
            return new(kind, null, 0);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(InitialBuffer, limit + 1));
        var count = 0;
        try
        {
            while (true)
            {
                if (count == buffer.Length)
                {
                    if (count > limit)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        return new(ReceivedKind.TooBig, null, count);
                    }

                    var next = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, limit + 1L));
                    buffer.AsSpan(0, count).CopyTo(next);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = next;
                }

                var result = await socket.ReceiveAsync(buffer.AsMemory(count), cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return new(ReceivedKind.Close, null, 0);
                }

                count += result.Count;
                if (count > limit)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return new(ReceivedKind.TooBig, null, count);
                }

                if (result.EndOfMessage)
                {
                    return new(kind, buffer, count);
                }
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
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
