using Microsoft.Extensions.Logging;

namespace Raven.SocketIO.Internal;

internal static partial class SocketIOLog
{
    [LoggerMessage(1, LogLevel.Error, "Socket.IO handler for '{EventName}' on namespace '{Namespace}' (socket {SocketId}) failed.")]
    public static partial void HandlerFailed(ILogger logger, string eventName, string @namespace, string socketId, Exception exception);

    [LoggerMessage(2, LogLevel.Debug, "Malformed Socket.IO packet on session {SessionId}; closing it.")]
    public static partial void MalformedPacket(ILogger logger, string sessionId);

    [LoggerMessage(3, LogLevel.Debug, "Session {SessionId} joined no namespace within the connect timeout; closing it.")]
    public static partial void ConnectTimeout(ILogger logger, string sessionId);

    [LoggerMessage(4, LogLevel.Error, "Socket.IO middleware on namespace '{Namespace}' failed.")]
    public static partial void MiddlewareFailed(ILogger logger, string @namespace, Exception exception);

    [LoggerMessage(5, LogLevel.Error, "Socket.IO adapter of namespace '{Namespace}' failed to initialize.")]
    public static partial void AdapterInitFailed(ILogger logger, string @namespace, Exception exception);

    [LoggerMessage(8, LogLevel.Error, "Socket.IO adapter of namespace '{Namespace}' failed to close.")]
    public static partial void AdapterCloseFailed(ILogger logger, string @namespace, Exception exception);

    [LoggerMessage(6, LogLevel.Debug, "Socket {SocketId} connected to namespace '{Namespace}'.")]
    public static partial void SocketConnected(ILogger logger, string socketId, string @namespace);

    [LoggerMessage(7, LogLevel.Debug, "Socket {SocketId} disconnected from namespace '{Namespace}': {Reason}.")]
    public static partial void SocketDisconnected(ILogger logger, string socketId, string @namespace, string reason);

    [LoggerMessage(9, LogLevel.Information, "Socket.IO session {SessionId} sent a {What}; closing it.")]
    public static partial void PacketRefused(ILogger logger, string sessionId, string what);

    [LoggerMessage(10, LogLevel.Debug, "Argument {Index} of '{EventName}' on namespace '{Namespace}' (socket {SocketId}) did not bind; handler not called.")]
    public static partial void InvalidPayload(ILogger logger, string eventName, string @namespace, string socketId, int index);
}
