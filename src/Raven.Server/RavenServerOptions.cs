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

    /// <summary>
    /// Comma-separated earlier JWT secrets, accepted for validation only (tokens and upload URLs signed before a
    /// rotation keep working); new tokens are always signed with <see cref="JwtSecret"/>.
    /// </summary>
    [ConfigurationKeyName("JWT_PREVIOUS_SECRETS")]
    public string? JwtPreviousSecrets { get; set; }

    /// <summary>The <c>iss</c> of issued tokens; a token that carries another issuer is refused.</summary>
    [ConfigurationKeyName("JWT_ISSUER")]
    public string JwtIssuer { get; set; } = "raven";

    /// <summary>The <c>aud</c> of issued tokens; a token that carries another audience is refused.</summary>
    [ConfigurationKeyName("JWT_AUDIENCE")]
    public string JwtAudience { get; set; } = "raven";

    /// <summary>
    /// Refuse tokens without <c>iss</c>/<c>aud</c>. Off by default: tokens of the original erion-raven carry neither.
    /// </summary>
    [ConfigurationKeyName("JWT_REQUIRE_ISSUER_AUDIENCE")]
    public bool JwtRequireIssuerAudience { get; set; }

    /// <summary>Longest accepted access-token lifetime (exp − iat), in minutes; longer-lived tokens are refused.</summary>
    [ConfigurationKeyName("JWT_MAX_TOKEN_MINUTES")]
    public int JwtMaxTokenMinutes { get; set; } = 24 * 60;

    /// <summary>Folder of the SQLite database, uploads and (in Development) the generated JWT secret.</summary>
    [ConfigurationKeyName("DATA_DIR")]
    public string DataDirectory { get; set; } = "data";

    /// <summary>PostgreSQL instead of SQLite: <c>postgres://user:password@host:port/db</c> or an Npgsql connection string.</summary>
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
    /// PBKDF2 (HMAC-SHA512) iterations for new password hashes. Outside Development at least
    /// <see cref="MinimumPasswordHashIterations"/>; lower it (down to that) only for load tests, like BCRYPT_COST=4
    /// for the Node reference server. Existing hashes are upgraded on the next sign-in.
    /// </summary>
    [ConfigurationKeyName("PASSWORD_HASH_ITERATIONS")]
    public int PasswordHashIterations { get; set; } = DefaultPasswordHashIterations;

    /// <summary>Password hashes computed at once (sign-up, sign-in, password change); 0 means half the CPU cores.</summary>
    [ConfigurationKeyName("PASSWORD_HASH_CONCURRENCY")]
    public int PasswordHashConcurrency { get; set; }

    /// <summary>Requests waiting for a hashing slot; beyond that they get 503 SERVER_BUSY at once.</summary>
    [ConfigurationKeyName("PASSWORD_HASH_QUEUE")]
    public int PasswordHashQueue { get; set; } = 256;

    /// <summary>Failed password checks per account before it is locked out (from every address, loopback included).</summary>
    [ConfigurationKeyName("LOGIN_MAX_FAILURES")]
    public int LoginMaxFailures { get; set; } = 5;

    /// <summary>First lockout, in seconds; each further failure doubles it, up to LOGIN_LOCKOUT_MAX_SECONDS.</summary>
    [ConfigurationKeyName("LOGIN_LOCKOUT_SECONDS")]
    public int LoginLockoutSeconds { get; set; } = 30;

    /// <summary>Longest lockout, in seconds.</summary>
    [ConfigurationKeyName("LOGIN_LOCKOUT_MAX_SECONDS")]
    public int LoginLockoutMaxSeconds { get; set; } = 15 * 60;

    /// <summary>
    /// Comma-separated proxy addresses or CIDR ranges whose X-Forwarded-For / X-Forwarded-Proto are trusted
    /// (client IP for rate limits, https for Secure cookies and HSTS). Empty: forwarded headers are ignored.
    /// </summary>
    [ConfigurationKeyName("KNOWN_PROXIES")]
    public string? KnownProxies { get; set; }

    /// <summary>Per client IP and minute: user searches (0 = no limit).</summary>
    [ConfigurationKeyName("SEARCH_RATE_LIMIT")]
    public int SearchRateLimit { get; set; } = 60;

    /// <summary>Per client IP and minute: presigned upload URLs (0 = no limit).</summary>
    [ConfigurationKeyName("UPLOAD_RATE_LIMIT")]
    public int UploadRateLimit { get; set; } = 30;

    /// <summary>Per client IP and minute: messages sent over REST (0 = no limit).</summary>
    [ConfigurationKeyName("MESSAGE_RATE_LIMIT")]
    public int MessageRateLimit { get; set; } = 300;

    /// <summary>Most members of a group, the owner included.</summary>
    [ConfigurationKeyName("MAX_GROUP_MEMBERS")]
    public int MaxGroupMembers { get; set; } = 10_000;

    /// <summary>Socket.IO events per second one socket may send, sustained (token bucket refill).</summary>
    [ConfigurationKeyName("SOCKET_EVENTS_PER_SECOND")]
    public double SocketEventsPerSecond { get; set; } = 30;

    /// <summary>Events one socket may send in a burst (token bucket size).</summary>
    [ConfigurationKeyName("SOCKET_EVENT_BURST")]
    public int SocketEventBurst { get; set; } = 200;

    /// <summary>Socket.IO events per second one user may send over all their sockets, sustained.</summary>
    [ConfigurationKeyName("USER_EVENTS_PER_SECOND")]
    public double UserEventsPerSecond { get; set; } = 100;

    /// <summary>Events one user may send in a burst over all their sockets.</summary>
    [ConfigurationKeyName("USER_EVENT_BURST")]
    public int UserEventBurst { get; set; } = 500;

    /// <summary>Rate-limited events in a row after which the socket is disconnected (persistent abuse).</summary>
    [ConfigurationKeyName("SOCKET_RATE_LIMIT_DISCONNECT_AFTER")]
    public int SocketRateLimitDisconnectAfter { get; set; } = 100;

    /// <summary>Connected sockets per user; one more is refused with a connect error. 0 = no cap.</summary>
    [ConfigurationKeyName("MAX_SOCKETS_PER_USER")]
    public int MaxSocketsPerUser { get; set; } = 50;

    /// <summary>Bytes of uploads one user may store in total; 0 = no quota.</summary>
    [ConfigurationKeyName("UPLOAD_QUOTA_BYTES")]
    public long UploadQuotaBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>DM_POLICY: who may open a direct conversation (anyone, or friends only).</summary>
    [ConfigurationKeyName("DM_POLICY")]
    public ContactPolicy DirectMessagePolicy { get; set; } = ContactPolicy.Anyone;

    /// <summary>GROUP_INVITE_POLICY: who may be put into a group by its members (anyone, or the caller's friends only).</summary>
    [ConfigurationKeyName("GROUP_INVITE_POLICY")]
    public ContactPolicy GroupInvitePolicy { get; set; } = ContactPolicy.Anyone;

    /// <summary>SEARCH_MODE: contains (username or email substring) or prefix (username prefix only).</summary>
    [ConfigurationKeyName("SEARCH_MODE")]
    public UserSearchMode SearchMode { get; set; } = UserSearchMode.Contains;

    /// <summary>Shortest accepted search term.</summary>
    [ConfigurationKeyName("SEARCH_MIN_LENGTH")]
    public int SearchMinLength { get; set; } = 2;

    /// <summary>PRESENCE_AUDIENCE: who hears online/offline changes (contacts, or friends only).</summary>
    [ConfigurationKeyName("PRESENCE_AUDIENCE")]
    public PresenceAudience PresenceAudience { get; set; } = PresenceAudience.Contacts;

    /// <summary>Serve /docs and /openapi; unset means only in Development.</summary>
    [ConfigurationKeyName("API_DOCS")]
    public bool? ApiDocs { get; set; }

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

    /// <summary>The default of <see cref="PasswordHashIterations"/> (ASP.NET Core Identity's own).</summary>
    public const int DefaultPasswordHashIterations = 100_000;

    /// <summary>The lowest <see cref="PasswordHashIterations"/> accepted outside Development.</summary>
    public const int MinimumPasswordHashIterations = 10_000;

    /// <summary>The secrets of <see cref="JwtPreviousSecrets"/>, trimmed, without empty entries.</summary>
    public IReadOnlyList<string> PreviousJwtSecrets =>
        (JwtPreviousSecrets ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The entries of <see cref="KnownProxies"/>, trimmed, without empty entries.</summary>
    public IReadOnlyList<string> KnownProxyEntries =>
        (KnownProxies ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

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

        if (!string.IsNullOrWhiteSpace(DatabaseUrl) && Raven.Chat.ChatOptions.CheckDatabaseUrl(DatabaseUrl) is { } databaseUrlProblem)
        {
            errors.Add($"DATABASE_URL {databaseUrlProblem} Use postgres://user:password@host:port/database or an Npgsql connection string.");
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

        if (JwtMaxTokenMinutes < 1 || AccessTokenMinutes > JwtMaxTokenMinutes)
        {
            errors.Add("JWT_MAX_TOKEN_MINUTES must be at least 1 and at least ACCESS_TOKEN_MINUTES.");
        }

        if (PasswordHashConcurrency < 0 || PasswordHashQueue < 0)
        {
            errors.Add("PASSWORD_HASH_CONCURRENCY and PASSWORD_HASH_QUEUE must be >= 0.");
        }

        if (LoginMaxFailures < 0 || LoginLockoutSeconds < 1 || LoginLockoutMaxSeconds < LoginLockoutSeconds)
        {
            errors.Add("LOGIN_MAX_FAILURES must be >= 0 (0 disables lockout), LOGIN_LOCKOUT_SECONDS >= 1 and LOGIN_LOCKOUT_MAX_SECONDS >= LOGIN_LOCKOUT_SECONDS.");
        }

        if (SearchRateLimit < 0 || UploadRateLimit < 0 || MessageRateLimit < 0)
        {
            errors.Add("SEARCH_RATE_LIMIT, UPLOAD_RATE_LIMIT and MESSAGE_RATE_LIMIT must be >= 0.");
        }

        if (MaxGroupMembers is < 2 or > 1_000_000)
        {
            errors.Add("MAX_GROUP_MEMBERS must be between 2 and 1000000.");
        }

        if (SocketEventsPerSecond <= 0 || SocketEventBurst < 1 || UserEventsPerSecond <= 0 || UserEventBurst < 1 || SocketRateLimitDisconnectAfter < 1)
        {
            errors.Add("SOCKET_EVENTS_PER_SECOND, SOCKET_EVENT_BURST, USER_EVENTS_PER_SECOND, USER_EVENT_BURST and SOCKET_RATE_LIMIT_DISCONNECT_AFTER must be positive.");
        }

        if (SearchMinLength is < 1 or > 50)
        {
            errors.Add("SEARCH_MIN_LENGTH must be between 1 and 50.");
        }

        if (MaxSocketsPerUser < 0 || UploadQuotaBytes < 0)
        {
            errors.Add("MAX_SOCKETS_PER_USER and UPLOAD_QUOTA_BYTES must be >= 0.");
        }

        foreach (var proxy in KnownProxyEntries)
        {
            if (!System.Net.IPAddress.TryParse(proxy, out _) && !System.Net.IPNetwork.TryParse(proxy, out _))
            {
                errors.Add($"KNOWN_PROXIES entry '{proxy}' must be an IP address or a CIDR range such as 10.0.0.0/8.");
            }
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
