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
    private readonly Raven.Server.Internal.RavenMetrics? _metrics;

    internal AccessTokenValidator(JwtKeys keys, IChatService chat, Raven.Server.Internal.RavenMetrics? metrics = null)
    {
        _keys = keys;
        _chat = chat;
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
                : AccessTokenResult.Ok(user.Id, user.Username, user.Email);
        }

        if (!result.Success)
        {
            _metrics?.AuthFailed(result.ErrorCode ?? AccessTokenResult.InvalidToken);
        }

        return result;
    }

    /// <summary>Like <see cref="ValidateAsync"/> but without the user lookup (claims as signed).</summary>
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

        return AccessTokenResult.Ok(
            userId,
            ClaimString(validation.Claims, AccessTokenClaims.Username),
            ClaimString(validation.Claims, AccessTokenClaims.Email));
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
}
