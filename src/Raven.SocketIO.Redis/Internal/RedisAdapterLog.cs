using Microsoft.Extensions.Logging;

namespace Raven.SocketIO.Redis.Internal;

/// <summary>Log messages of the Redis adapter (event ids 7100-7199).</summary>
internal static partial class RedisAdapterLog
{
    [LoggerMessage(7101, LogLevel.Error, "Redis is unreachable ({Reason}); Socket.IO delivery continues on this server only until it is back.")]
    public static partial void Unavailable(ILogger logger, string reason, Exception? exception);

    [LoggerMessage(7102, LogLevel.Information, "Redis is reachable again; cross-server Socket.IO delivery resumed.")]
    public static partial void Restored(ILogger logger);

    [LoggerMessage(7103, LogLevel.Warning, "Ignored a malformed Redis message on {Channel}.")]
    public static partial void Malformed(ILogger logger, string channel, Exception exception);

    [LoggerMessage(7104, LogLevel.Warning, "A {Request} request of namespace {Namespace} timed out: {Received} of {Expected} servers answered.")]
    public static partial void RequestTimedOut(ILogger logger, string request, string @namespace, int received, int expected);

    [LoggerMessage(7105, LogLevel.Warning, "Subscribing namespace {Namespace} to Redis failed; retrying.")]
    public static partial void SubscribeFailed(ILogger logger, string @namespace, Exception exception);

    [LoggerMessage(7106, LogLevel.Error, "Handling a Redis message on {Channel} failed.")]
    public static partial void HandlerFailed(ILogger logger, string channel, Exception exception);
}
