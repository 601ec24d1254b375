using Microsoft.Extensions.Logging;

namespace Raven.EngineIO;

/// <summary>Engine.IO log messages. Event ids are stable: dashboards and alerts may rely on them.</summary>
internal static partial class EngineIOLog
{
    [LoggerMessage(1, LogLevel.Debug, "Engine.IO session {Sid} opened over {Transport}.")]
    public static partial void SessionOpened(ILogger logger, string sid, string transport);

    [LoggerMessage(2, LogLevel.Debug, "Engine.IO session {Sid} closed: {Reason}.")]
    public static partial void SessionClosed(ILogger logger, string sid, string reason);

    [LoggerMessage(3, LogLevel.Debug, "Engine.IO request rejected with code {Code} ({Message}).")]
    public static partial void RequestRejected(ILogger logger, int code, string message);

    [LoggerMessage(4, LogLevel.Debug, "Engine.IO session {Sid} started upgrading to WebSocket.")]
    public static partial void UpgradeStarted(ILogger logger, string sid);

    [LoggerMessage(5, LogLevel.Debug, "Engine.IO session {Sid} upgraded to WebSocket.")]
    public static partial void UpgradeCompleted(ILogger logger, string sid);

    [LoggerMessage(6, LogLevel.Debug, "Engine.IO session {Sid} upgrade abandoned: {Why}.")]
    public static partial void UpgradeAbandoned(ILogger logger, string sid, string why);

    [LoggerMessage(7, LogLevel.Error, "The Engine.IO handler failed on session {Sid}; closing it.")]
    public static partial void HandlerFailed(ILogger logger, string sid, Exception exception);

    [LoggerMessage(8, LogLevel.Debug, "Engine.IO session {Sid} sent an invalid packet.")]
    public static partial void InvalidPacket(ILogger logger, string sid);

    [LoggerMessage(9, LogLevel.Debug, "Engine.IO session {Sid} sent more than {Limit} bytes at once.")]
    public static partial void PayloadTooLarge(ILogger logger, string sid, int limit);

    [LoggerMessage(10, LogLevel.Warning, "Engine.IO session {Sid} is not reading fast enough: its send queue is full; closing it.")]
    public static partial void SlowConsumer(ILogger logger, string sid);

    [LoggerMessage(11, LogLevel.Debug, "Engine.IO transport failure on session {Sid}.")]
    public static partial void TransportFailed(ILogger logger, string sid, Exception exception);

    [LoggerMessage(12, LogLevel.Information, "Engine.IO endpoint shutting down; closing {Count} sessions.")]
    public static partial void ShuttingDown(ILogger logger, int count);

    [LoggerMessage(13, LogLevel.Error, "The Engine.IO handler failed in OnClosedAsync on session {Sid}.")]
    public static partial void OnClosedFailed(ILogger logger, string sid, Exception exception);

    [LoggerMessage(14, LogLevel.Debug, "Engine.IO session {Sid} dropped a volatile unit of {Count} messages: its send queue is full.")]
    public static partial void VolatileDropped(ILogger logger, string sid, int count);

    [LoggerMessage(15, LogLevel.Debug, "Engine.IO session {Sid} was never established; closing it.")]
    public static partial void PendingExpired(ILogger logger, string sid);

    [LoggerMessage(16, LogLevel.Debug, "Engine.IO handshake refused: {Limit} limit reached.")]
    public static partial void HandshakeRefused(ILogger logger, string limit);
}
