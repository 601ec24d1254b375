namespace Raven.Server.Realtime.Internal;

/// <summary>Source-generated log messages of the realtime layer (stable event ids, 100+).</summary>
internal static partial class RealtimeLog
{
    [LoggerMessage(100, LogLevel.Debug, "Socket {SocketId} refused: {Code}")]
    public static partial void ConnectRefused(ILogger logger, string socketId, string code);

    [LoggerMessage(101, LogLevel.Debug, "Socket {SocketId} connected as user {UserId} (first socket: {First})")]
    public static partial void SocketConnected(ILogger logger, string socketId, string userId, bool first);

    [LoggerMessage(102, LogLevel.Debug, "Socket {SocketId} of user {UserId} disconnected: {Reason} (last socket: {Last})")]
    public static partial void SocketDisconnected(ILogger logger, string socketId, string userId, string reason, bool last);

    [LoggerMessage(103, LogLevel.Error, "Handling {EventName} from socket {SocketId} failed")]
    public static partial void HandlerFailed(ILogger logger, string eventName, string socketId, Exception exception);

    [LoggerMessage(104, LogLevel.Warning, "Announcing presence of user {UserId} failed")]
    public static partial void PresenceBroadcastFailed(ILogger logger, string userId, Exception exception);

    [LoggerMessage(105, LogLevel.Debug, "Cookie token of socket {SocketId} ignored: origin {Origin} is not allowed")]
    public static partial void CookieOriginRejected(ILogger logger, string socketId, string origin);

    [LoggerMessage(106, LogLevel.Warning, "Broadcasting stored message {MessageId} failed")]
    public static partial void BroadcastFailed(ILogger logger, string messageId, Exception exception);

    [LoggerMessage(107, LogLevel.Warning, "Socket {SocketId} of user {UserId} disconnected: it kept exceeding the event rate limit")]
    public static partial void RateLimitDisconnect(ILogger logger, string socketId, string userId);
}
