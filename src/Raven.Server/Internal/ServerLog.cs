namespace Raven.Server.Internal;

/// <summary>Source-generated log messages of the host (stable event ids).</summary>
internal static partial class ServerLog
{
    [LoggerMessage(1, LogLevel.Error, "Unhandled exception on {Method} {Path}")]
    public static partial void UnhandledException(ILogger logger, string method, string path, Exception exception);

    [LoggerMessage(2, LogLevel.Warning, "JWT_SECRET is not set; using a generated secret kept in {Path} (Development only). Set JWT_SECRET in production.")]
    public static partial void GeneratedJwtSecret(ILogger logger, string path);

    [LoggerMessage(3, LogLevel.Warning, "JWT_SECRET is shorter than 32 bytes; accepted for compatibility, but use a long random secret in production.")]
    public static partial void WeakJwtSecret(ILogger logger);

    [LoggerMessage(4, LogLevel.Information, "Raven data directory: {DataDirectory}")]
    public static partial void DataDirectory(ILogger logger, string dataDirectory);

    [LoggerMessage(5, LogLevel.Information, "CORS allows credentials from: {Origins}")]
    public static partial void CorsOrigins(ILogger logger, string origins);

    [LoggerMessage(6, LogLevel.Information, "REDIS_URL is set: Socket.IO and presence are shared with the other nodes on that Redis.")]
    public static partial void RedisScaleOut(ILogger logger);

    [LoggerMessage(7, LogLevel.Warning, "Refresh token reuse detected for user {UserId}; the session family is revoked.")]
    public static partial void RefreshTokenReuse(ILogger logger, string userId);

    [LoggerMessage(8, LogLevel.Warning, "Notifying the realtime layer about message {MessageId} failed")]
    public static partial void NotifyFailed(ILogger logger, string messageId, Exception exception);

    [LoggerMessage(9, LogLevel.Information, "Stored upload {Key} ({Bytes} bytes)")]
    public static partial void UploadStored(ILogger logger, string key, long bytes);

    [LoggerMessage(10, LogLevel.Warning, "Auth rate limit hit for {RemoteIp} on {Path}")]
    public static partial void RateLimited(ILogger logger, string? remoteIp, string path);

    [LoggerMessage(20, LogLevel.Information, "Shutting down: waiting for {Count} chat store operation(s) in flight")]
    public static partial void DrainingStoreOperations(ILogger logger, long count);

    [LoggerMessage(21, LogLevel.Warning, "Shutdown timeout reached with {Count} chat store operation(s) still in flight; raise SHUTDOWN_TIMEOUT_SECONDS if this repeats")]
    public static partial void ShutdownTimedOut(ILogger logger, long count);

    [LoggerMessage(11, LogLevel.Information, "Deleted {Count} expired refresh sessions")]
    public static partial void RefreshSessionsPruned(ILogger logger, int count);

    [LoggerMessage(12, LogLevel.Warning, "Deleting expired refresh sessions failed")]
    public static partial void RefreshSessionPruneFailed(ILogger logger, Exception exception);
}
