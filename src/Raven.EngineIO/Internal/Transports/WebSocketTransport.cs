using System.Net.WebSockets;
using Microsoft.AspNetCore.Http;

namespace Raven.EngineIO.Internal;

/// <summary>
/// The WebSocket transport: one frame per packet. The request's own flow reads (zero-byte reads while idle) and
/// hands each message to the session, waiting for the handler before reading the next; one writer loop drains
/// the outbox, parked on a reusable signal when there is nothing to send.
/// </summary>
internal static class WebSocketTransport
{
    /// <summary>Accepts the upgrade through ASP.NET Core's WebSocket middleware (Engine.IO pings on its own).</summary>
    public static Task<WebSocket> AcceptAsync(HttpContext context)
        => context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { KeepAliveInterval = TimeSpan.Zero });

    /// <summary>
    /// A session opened directly over WebSocket: sends the open packet, then connects the session. False when the
    /// socket or the handler failed (the session and socket are closed); true means the caller runs <see cref="RunAsync"/>.
    /// </summary>
    public static async Task<bool> OpenAsync(EngineSession session, WebSocket socket, ReadOnlyMemory<byte> openPacket)
    {
        try
        {
            await socket.SendAsync(openPacket, WebSocketMessageType.Text, true, CancellationToken.None);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            session.Close(EngineCloseReasons.TransportClose, CloseKind.Abrupt);
            socket.Abort();
            return false;
        }

        if (!await session.ConnectAsync())
        {
            await WebSocketFrames.CloseQuietlyAsync(socket, WebSocketCloseStatus.InternalServerError);
            return false;
        }

        return true;
    }

    /// <summary>
    /// Reads packets on this request's flow while one writer loop drains the outbox. The handshake or the upgrade has
    /// finished by now (<see cref="OpenAsync"/>, <see cref="WebSocketUpgrade"/>), so a connection keeps one frame here.
    /// </summary>
    public static async Task RunAsync(EngineSession session, WebSocket socket)
    {
        // Sends and receives take no token: with a cancellable one ManagedWebSocket registers a callback per call and
        // sends through its async fallback (a state machine per frame). A close's deadline aborts the socket instead
        // (EngineSession.AttachTransportSocket), which fails the pending calls the same way.
        session.AttachTransportSocket(socket);

        var writer = WriteLoopAsync(session, socket);
        var limit = session.Server.Options.MaxHttpBufferSize;
        try
        {
            while (session.IsConnected)
            {
                using var message = await WebSocketFrames.ReceiveAsync(socket, limit, CancellationToken.None);
                if (message.Kind == ReceivedKind.Close)
                {
                    session.Close(EngineCloseReasons.TransportClose, CloseKind.Abrupt);
                    break;
                }

                if (message.Kind == ReceivedKind.TooBig)
                {
                    EngineIOLog.PayloadTooLarge(session.Server.Logger, session.Id, limit);
                    session.Close(EngineCloseReasons.TransportError, CloseKind.Abrupt, WebSocketCloseStatus.MessageTooBig);
                    break;
                }

                var outcome = await session.ProcessFrameAsync(message.Sequence, message.Kind == ReceivedKind.Binary);
                if (outcome != PacketOutcome.Continue)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            session.Close(EngineCloseReasons.TransportClose, CloseKind.Abrupt);
        }
        catch (Exception ex)
        {
            EngineIOLog.TransportFailed(session.Server.Logger, session.Id, ex);
            session.Close(EngineCloseReasons.TransportError, CloseKind.Abrupt);
        }

        await writer;
        if (socket.State == WebSocketState.CloseSent)
        {
            // Our close frame is out (server-side close); give the peer a moment to answer before the request ends.
            await WebSocketFrames.CloseQuietlyAsync(socket, session.CloseStatus);
        }

        session.DetachTransportSocket(socket);
    }

    /// <summary>The only code that sends on an established session socket; one frame per packet.</summary>
    private static async Task WriteLoopAsync(EngineSession session, WebSocket socket)
    {
        var outbox = session.Outbox;
        var metrics = session.Server.Metrics;
        var frames = Array.Empty<OutFrame>();
        var count = 0;
        try
        {
            while (true)
            {
                ValueTask<Wake> wait = default;
                var parked = false;
                bool closed;
                lock (session.Gate)
                {
                    count = outbox.TakeAll(out frames);
                    closed = !session.IsConnected;
                    if (count == 0 && !closed)
                    {
                        wait = session.ParkWriterLocked();
                        parked = true;
                    }
                }

                if (parked)
                {
                    await wait;
                    continue;
                }

                long bytes = 0;
                for (var i = 0; i < count; i++)
                {
                    var frame = frames[i];
                    var (data, type) = frame.Message switch
                    {
                        null => (SessionOutbox.ControlFrame(frame.Control), WebSocketMessageType.Text),
                        { IsBinary: true } message => (message.Data, WebSocketMessageType.Binary),
                        var message => (message.GetPrefixedText(), WebSocketMessageType.Text),
                    };
                    bytes += data.Length;
                    await socket.SendAsync(data, type, true, CancellationToken.None);
                }

                metrics.Sent(count, bytes);
                SessionOutbox.Return(frames, count);
                frames = [];
                count = 0;

                if (closed)
                {
                    if (session.CloseKind == CloseKind.Graceful)
                    {
                        await socket.SendAsync(SessionOutbox.ControlFrame(PacketType.Close), WebSocketMessageType.Text, true, CancellationToken.None);
                    }

                    if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                    {
                        await socket.CloseOutputAsync(session.CloseStatus, null, CancellationToken.None);
                    }

                    return;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            session.Close(EngineCloseReasons.TransportError, CloseKind.Abrupt);
            socket.Abort();
        }
        catch (Exception ex)
        {
            EngineIOLog.TransportFailed(session.Server.Logger, session.Id, ex);
            session.Close(EngineCloseReasons.TransportError, CloseKind.Abrupt);
            socket.Abort();
        }
        finally
        {
            SessionOutbox.Return(frames, count);
        }
    }
}
