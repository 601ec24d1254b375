using System.Globalization;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Raven.Chat;
using Raven.Server.Auth.Internal;

namespace Raven.Server.Auth;

/// <summary>
/// Validates HS256 access tokens (ours, or ones signed by an erion-raven deployment with the same JWT_SECRET)
/// and checks that their user still exists. Shared by the REST authentication handler and the Socket.IO handshake.
/// </summary>
public sealed class AccessTokenValidator
{
    private readonly JsonWebTokenHandler _handler = new();
    private readonly JwtKeys _keys;
    private readonly IChatService _chat;
    private readonly RavenServerOptions _options;
    private readonly SessionRevocations _revocations;
    private readonly Raven.Server.Internal.RavenMetrics? _metrics;

    internal AccessTokenValidator(JwtKeys keys, IChatService chat, RavenServerOptions options, SessionRevocations revocations, Raven.Server.Internal.RavenMetrics? metrics = null)
    {
        _keys = keys;
        _chat = chat;
        _options = options;
        _revocations = revocations;
        _metrics = metrics;
    }

    /// <summary>
    /// Validates signature, algorithm and lifetime, requires a <c>userId</c> claim, and checks the user exists
    /// (an unknown or deleted user is <c>INVALID_TOKEN</c>). On success the username and email are the user's current ones.
    /// </summary>
    public async Task<AccessTokenResult> ValidateAsync(string? token, CancellationToken cancellationToken = default)
    {
        var result = await ValidateSignatureAndLifetimeAsync(token);
        if (result.Success)
        {
            var user = await _chat.FindUserAsync(result.UserId!, cancellationToken);
            result = user is null
                ? AccessTokenResult.Fail(AccessTokenResult.InvalidToken, "The user of this token no longer exists.")
                : result with { UserId = user.Id, Username = user.Username, Email = user.Email };
        }

        if (!result.Success)
        {
            _metrics?.AuthFailed(result.ErrorCode ?? AccessTokenResult.InvalidToken);
        }

        return result;
    }

    /// <summary>
    /// Like <see cref="ValidateAsync"/> but without the user lookup (claims as signed). Also checks issuer and audience
    /// when the token has them (required with JWT_REQUIRE_ISSUER_AUDIENCE), the lifetime cap (JWT_MAX_TOKEN_MINUTES) and
    /// revocation (sign-out, password change).
    /// </summary>
    public async Task<AccessTokenResult> ValidateSignatureAndLifetimeAsync(string? token)
    {
        if (string.IsNullOrWhiteSpace(token))
        {
            return AccessTokenResult.Fail(AccessTokenResult.AuthenticationRequired, "An access token is required.");
        }

        // Guards the parser against absurd inputs; real tokens are a few hundred bytes.
        if (token.Length > 8192)
        {
            return AccessTokenResult.Fail(AccessTokenResult.InvalidToken, "The access token is invalid.");
        }

        var validation = await _handler.ValidateTokenAsync(token, _keys.ValidationParameters);
        if (!validation.IsValid)
        {
            return validation.Exception is SecurityTokenExpiredException
                ? AccessTokenResult.Fail(AccessTokenResult.TokenExpired, "The access token has expired.")
                : AccessTokenResult.Fail(AccessTokenResult.InvalidToken, "The access token is invalid.");
        }

        var userId = ClaimString(validation.Claims, AccessTokenClaims.UserId);
        if (string.IsNullOrEmpty(userId))
        {
            return AccessTokenResult.Fail(AccessTokenResult.InvalidToken, "The access token has no userId.");
        }

        var jwt = (JsonWebToken)validation.SecurityToken;
        if (!IssuerAndAudienceAccepted(jwt))
        {
            return AccessTokenResult.Fail(AccessTokenResult.InvalidToken, "The access token was issued for another service.");
        }

        DateTimeOffset? issuedAt = jwt.TryGetPayloadValue<long>(JwtRegisteredClaimNames.Iat, out var iat) ? DateTimeOffset.FromUnixTimeSeconds(iat) : null;
        var expiresAt = new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero);
        // A token minted to live for months (or without iat, for longer than the cap from now) is refused outright.
        var lifetime = expiresAt - (issuedAt ?? DateTimeOffset.UtcNow);
        if (lifetime > TimeSpan.FromMinutes(_options.JwtMaxTokenMinutes))
        {
            return AccessTokenResult.Fail(AccessTokenResult.InvalidToken, "The access token lives longer than this server allows.");
        }

        var sessionId = ClaimString(validation.Claims, AccessTokenClaims.SessionId);
        if (_revocations.IsRevoked(userId, sessionId, issuedAt))
        {
            return AccessTokenResult.Fail(AccessTokenResult.TokenExpired, "The session of this access token has ended.");
        }

        return AccessTokenResult.Ok(
            userId,
            ClaimString(validation.Claims, AccessTokenClaims.Username),
            ClaimString(validation.Claims, AccessTokenClaims.Email)) with { SessionId = sessionId, IssuedAt = issuedAt, ExpiresAt = expiresAt };
    }

    private bool IssuerAndAudienceAccepted(JsonWebToken jwt)
    {
        var issuer = jwt.Issuer;
        if (string.IsNullOrEmpty(issuer) ? _options.JwtRequireIssuerAudience : !string.Equals(issuer, _options.JwtIssuer, StringComparison.Ordinal))
        {
            return false;
        }

        var audiences = jwt.Audiences.ToList();
        return audiences.Count == 0
            ? !_options.JwtRequireIssuerAudience
            : audiences.Contains(_options.JwtAudience, StringComparer.Ordinal);
    }

    private static string? ClaimString(IDictionary<string, object> claims, string name) =>
        claims.TryGetValue(name, out var value) ? value switch
        {
            null => null,
            string s => s,
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString(),
        } : null;
}

/// <summary>Claim names of an access token (as the original erion-raven API signs them).</summary>
public static class AccessTokenClaims
{
    /// <summary>The user's id.</summary>
    public const string UserId = "userId";

    /// <summary>The user's name at sign-in.</summary>
    public const string Username = "username";

    /// <summary>The user's email.</summary>
    public const string Email = "email";

    /// <summary>The session (refresh-token family) the token was issued for; absent in foreign tokens.</summary>
    public const string SessionId = "sid";
}
