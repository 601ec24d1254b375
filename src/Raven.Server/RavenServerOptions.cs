using Microsoft.Extensions.Configuration;

namespace Raven.Server;

/// <summary>Which sockets receive <c>new_message</c>: the conversation's room, or every online participant.</summary>
public enum MessageScope
{
    /// <summary>Only sockets that joined the conversation room.</summary>
    Room,
    /// <summary>Every online participant, joined or not (what the original erion-raven server does).</summary>
    Participants,
}

/// <summary>
/// Server settings. Bound from flat configuration keys (environment variables, <c>--KEY=value</c>
/// arguments or <c>appsettings.json</c>) named as in the original erion-raven deployment.
/// </summary>
public sealed class RavenServerOptions
{
    /// <summary>HTTP port when neither <c>--urls</c> nor <c>ASPNETCORE_URLS</c> is given.</summary>
    [ConfigurationKeyName("PORT")]
    public int Port { get; set; } = 8080;

    /// <summary>HMAC secret of the access tokens (UTF-8 bytes are the key, as jsonwebtoken does).</summary>
    [ConfigurationKeyName("JWT_SECRET")]
    public string? JwtSecret { get; set; }

    /// <summary>Folder of the SQLite database, uploads and (in Development) the generated JWT secret.</summary>
    [ConfigurationKeyName("DATA_DIR")]
    public string DataDirectory { get; set; } = "data";

    /// <summary>PostgreSQL connection URL. Not supported yet: start-up fails when it is set.</summary>
    [ConfigurationKeyName("DATABASE_URL")]
    public string? DatabaseUrl { get; set; }

    /// <summary>Redis URL for scale-out (used by the realtime layer when it supports it).</summary>
    [ConfigurationKeyName("REDIS_URL")]
    public string? RedisUrl { get; set; }

    /// <summary>Comma-separated origins allowed cross-origin with credentials; empty means same-origin only.</summary>
    [ConfigurationKeyName("CORS_ORIGIN")]
    public string? CorsOrigin { get; set; }

    /// <summary>Who receives <c>new_message</c>: the conversation room (default, the seed) or every online participant.</summary>
    [ConfigurationKeyName("MESSAGE_SCOPE")]
    public MessageScope MessageScope { get; set; } = MessageScope.Room;

    /// <summary>Lifetime of an access token (JWT and cookie), in minutes.</summary>
    [ConfigurationKeyName("ACCESS_TOKEN_MINUTES")]
    public int AccessTokenMinutes { get; set; } = 60;

    /// <summary>Lifetime of a refresh token, in days.</summary>
    [ConfigurationKeyName("REFRESH_TOKEN_DAYS")]
    public int RefreshTokenDays { get; set; } = 30;

    /// <summary>Longest message text accepted, in UTF-16 code units.</summary>
    [ConfigurationKeyName("MAX_MESSAGE_LENGTH")]
    public int MaxMessageLength { get; set; } = 5000;

    /// <summary>
    /// PBKDF2 iterations for new password hashes; unset keeps the ASP.NET Core Identity default. Lower it only for
    /// load tests (like BCRYPT_COST=4 for the Node reference server).
    /// </summary>
    [ConfigurationKeyName("PASSWORD_HASH_ITERATIONS")]
    public int? PasswordHashIterations { get; set; }

    /// <summary>Requests per window and client IP on sign-up, sign-in, token and refresh; 0 disables the limit.</summary>
    [ConfigurationKeyName("AUTH_RATE_LIMIT")]
    public int AuthRateLimit { get; set; } = 20;

    /// <summary>Length of the auth rate-limit window, in seconds.</summary>
    [ConfigurationKeyName("AUTH_RATE_LIMIT_WINDOW_SECONDS")]
    public int AuthRateLimitWindowSeconds { get; set; } = 60;

    /// <summary>
    /// Whether loopback clients are rate limited too. Off by default: local load tests and a reverse proxy
    /// on the same host (where every client looks like 127.0.0.1) must not share one small bucket.
    /// </summary>
    [ConfigurationKeyName("AUTH_RATE_LIMIT_LOOPBACK")]
    public bool AuthRateLimitLoopback { get; set; }

    /// <summary>Largest accepted upload, in bytes.</summary>
    [ConfigurationKeyName("UPLOAD_MAX_BYTES")]
    public long UploadMaxBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>Validity of a presigned upload URL, in seconds.</summary>
    [ConfigurationKeyName("UPLOAD_URL_SECONDS")]
    public int UploadUrlSeconds { get; set; } = 600;

    /// <summary>Largest JSON request body, in bytes (uploads have their own limit).</summary>
    [ConfigurationKeyName("MAX_REQUEST_BODY_BYTES")]
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Kestrel's cap on open connections; unset means no cap.</summary>
    [ConfigurationKeyName("MAX_CONCURRENT_CONNECTIONS")]
    public long? MaxConcurrentConnections { get; set; }

    /// <summary>Kestrel's cap on upgraded (WebSocket) connections; unset means no cap.</summary>
    [ConfigurationKeyName("MAX_CONCURRENT_UPGRADED_CONNECTIONS")]
    public long? MaxConcurrentUpgradedConnections { get; set; }

    /// <summary>Most live Engine.IO sessions on this node (0 = no cap).</summary>
    [ConfigurationKeyName("SOCKET_MAX_SESSIONS")]
    public int SocketMaxSessions { get; set; } = 100_000;

    /// <summary>Most sessions that have not sent CONNECT yet (0 = no cap); they live at most 20 s.</summary>
    [ConfigurationKeyName("SOCKET_MAX_PENDING_SESSIONS")]
    public int SocketMaxPendingSessions { get; set; } = 10_000;

    /// <summary>Most live Engine.IO sessions per client IP (0 = no cap).</summary>
    [ConfigurationKeyName("SOCKET_MAX_SESSIONS_PER_IP")]
    public int SocketMaxSessionsPerIp { get; set; } = 1_000;

    /// <summary>Engine.IO handshakes per second per client IP, sustained (0 = no limit; bursts of 10× pass).</summary>
    [ConfigurationKeyName("SOCKET_HANDSHAKES_PER_SECOND_PER_IP")]
    public int SocketHandshakesPerSecondPerIp { get; set; } = 20;

    /// <summary>Whether the per-IP socket limits apply to loopback clients too (off: local load tests).</summary>
    [ConfigurationKeyName("SOCKET_LIMITS_LOOPBACK")]
    public bool SocketLimitsLoopback { get; set; }

    /// <summary>The origins of <see cref="CorsOrigin"/>, trimmed, without empty entries.</summary>
    public IReadOnlyList<string> CorsOrigins =>
        (CorsOrigin ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Access-token lifetime.</summary>
    public TimeSpan AccessTokenLifetime => TimeSpan.FromMinutes(AccessTokenMinutes);

    /// <summary>Refresh-token lifetime.</summary>
    public TimeSpan RefreshTokenLifetime => TimeSpan.FromDays(RefreshTokenDays);

    /// <summary>Every problem with the values, as messages naming the configuration key; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Port is < 0 or > 65535)
        {
            errors.Add("PORT must be between 0 and 65535.");
        }

        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            errors.Add("DATA_DIR must not be empty.");
        }

        if (!string.IsNullOrWhiteSpace(DatabaseUrl))
        {
            errors.Add("DATABASE_URL is set, but PostgreSQL is not supported yet; unset it to use SQLite under DATA_DIR.");
        }

        if (AccessTokenMinutes is < 1 or > 60 * 24 * 30)
        {
            errors.Add("ACCESS_TOKEN_MINUTES must be between 1 and 43200.");
        }

        if (RefreshTokenDays is < 1 or > 3650)
        {
            errors.Add("REFRESH_TOKEN_DAYS must be between 1 and 3650.");
        }

        if (MaxMessageLength is < 1 or > 1_000_000)
        {
            errors.Add("MAX_MESSAGE_LENGTH must be between 1 and 1000000.");
        }

        if (PasswordHashIterations is < 1 or > 10_000_000)
        {
            errors.Add("PASSWORD_HASH_ITERATIONS must be between 1 and 10000000.");
        }

        if (AuthRateLimit < 0 || AuthRateLimitWindowSeconds < 1)
        {
            errors.Add("AUTH_RATE_LIMIT must be >= 0 and AUTH_RATE_LIMIT_WINDOW_SECONDS >= 1.");
        }

        if (UploadMaxBytes < 1 || UploadUrlSeconds < 1 || MaxRequestBodyBytes < 1024)
        {
            errors.Add("UPLOAD_MAX_BYTES and UPLOAD_URL_SECONDS must be positive, MAX_REQUEST_BODY_BYTES at least 1024.");
        }

        foreach (var origin in CorsOrigins)
        {
            if (origin == "*" || !Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.AbsolutePath != "/" || origin.EndsWith('/'))
            {
                errors.Add($"CORS_ORIGIN entry '{origin}' must be an exact origin such as http://127.0.0.1:3001 (no wildcard, no path).");
            }
        }

        return errors;
    }
}
