namespace Raven.Server.Auth;

/// <summary>Outcome of validating an access token.</summary>
/// <param name="Success">True when the token is valid and its user exists.</param>
/// <param name="UserId">The <c>userId</c> claim (on success).</param>
/// <param name="Username">The <c>username</c> claim (on success; may be null for foreign tokens without it).</param>
/// <param name="Email">The <c>email</c> claim, when present.</param>
/// <param name="ErrorCode"><c>AUTHENTICATION_REQUIRED</c> (no token), <c>INVALID_TOKEN</c> or <c>TOKEN_EXPIRED</c>.</param>
/// <param name="ErrorMessage">Human-readable reason, safe to send to the client.</param>
public sealed record AccessTokenResult(
    bool Success,
    string? UserId,
    string? Username,
    string? Email,
    string? ErrorCode,
    string? ErrorMessage)
{
    /// <summary>The session (refresh family) the token belongs to, when it names one.</summary>
    public string? SessionId { get; init; }

    /// <summary>When the token was issued (<c>iat</c>), when it says.</summary>
    public DateTimeOffset? IssuedAt { get; init; }

    /// <summary>When the token expires (on success).</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>No token was presented.</summary>
    public const string AuthenticationRequired = "AUTHENTICATION_REQUIRED";

    /// <summary>The token is malformed, badly signed, lacks <c>userId</c>, or its user no longer exists.</summary>
    public const string InvalidToken = "INVALID_TOKEN";

    /// <summary>The token was valid but has expired.</summary>
    public const string TokenExpired = "TOKEN_EXPIRED";

    internal static AccessTokenResult Ok(string userId, string? username, string? email) =>
        new(true, userId, username, email, null, null);

    internal static AccessTokenResult Fail(string code, string message) =>
        new(false, null, null, null, code, message);
}
