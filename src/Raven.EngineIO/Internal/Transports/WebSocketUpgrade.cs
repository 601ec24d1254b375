using System.Net.WebSockets;

namespace Raven.EngineIO.Internal;

/// <summary>
/// Moves a polling session onto a WebSocket: answer <c>2probe</c> with <c>3probe</c> (releasing a held GET with a
/// noop), switch on <c>5</c>. A session that is already upgrading or upgraded
/// gets the socket accepted and closed at once. The caller runs the transport, so this frame ends with the switch.
/// </summary>
internal static class WebSocketUpgrade
{
    private static readonly byte[] ProbeReply = "3probe"u8.ToArray();

    /// <returns>True when the session switched to this socket: the caller then runs the WebSocket transport.</returns>
    public static async Task<bool> RunAsync(EngineSession session, WebSocket socket)
    {
        if (!session.TryBeginUpgrade(socket))
        {
            // Accepted, then closed: refusing with an HTTP status would surface as an unhandled error in some clients.
            await WebSocketFrames.CloseQuietlyAsync(socket, WebSocketCloseStatus.PolicyViolation);
            return false;
        }

        var server = session.Server;
        EngineIOLog.UpgradeStarted(server.Logger, session.Id);
        string? failure = null;
        using (var timeout = new CancellationTokenSource(server.Options.UpgradeTimeout))
        {
            // Cancelled by the session's close too.
            session.UpgradeAbort = timeout;
            if (!session.IsConnected)
            {
                timeout.Cancel();
            }

            try
            {
                while (true)
                {
                    using var message = await WebSocketFrames.ReceiveAsync(socket, server.Options.MaxHttpBufferSize, timeout.Token);
                    if (message.Kind == ReceivedKind.Text && message.Span.SequenceEqual("2probe"u8))
                    {
                        await socket.SendAsync(ProbeReply, WebSocketMessageType.Text, true, timeout.Token);
                        session.ProbeAnswered(socket);
                    }
                    else if (message.Kind == ReceivedKind.Text && message.Span.SequenceEqual("5"u8))
                    {
                        if (!session.TryCompleteUpgrade(socket))
                        {
                            failure = "session closed";
                        }

                        break;
                    }
                    else
                    {
                        failure = "unexpected packet";
                        break;
                    }
                }
            }
            catch (OperationCanceledException)
            {
                failure = session.IsConnected ? "timeout" : "session closed";
            }
            catch (Exception ex) when (ex is WebSocketException or IOException)
            {
                failure = "socket closed";
            }

            session.UpgradeAbort = null;
        }

        if (failure is not null)
        {
            session.AbandonUpgrade(socket);
            EngineIOLog.UpgradeAbandoned(server.Logger, session.Id, failure);
            await WebSocketFrames.CloseQuietlyAsync(socket, WebSocketCloseStatus.NormalClosure);
            return false;
        }

        EngineIOLog.UpgradeCompleted(server.Logger, session.Id);
        return true;
    }
}
