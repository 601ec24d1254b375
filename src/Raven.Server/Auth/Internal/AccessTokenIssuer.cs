using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Raven.Chat;

namespace Raven.Server.Auth.Internal;

/// <summary>
/// Signs access tokens with the original API's claims (userId, username, email, iat, exp), plus iss/aud and
/// <c>sid</c>, the refresh family the token belongs to (so ending that session revokes its access tokens too).
/// </summary>
internal sealed class AccessTokenIssuer(JwtKeys keys, IOptions<RavenServerOptions> options, TimeProvider time)
{
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    public TimeSpan Lifetime => options.Value.AccessTokenLifetime;

    public (string Token, DateTimeOffset ExpiresAt) Issue(User user, string sessionId)
    {
        var now = time.GetUtcNow();
        var expires = now + Lifetime;
        var descriptor = new SecurityTokenDescriptor
        {
            Claims = new Dictionary<string, object>
            {
                [AccessTokenClaims.UserId] = user.Id,
                [AccessTokenClaims.Username] = user.Username,
                [AccessTokenClaims.Email] = user.Email,
                [AccessTokenClaims.SessionId] = sessionId,
            },
            Issuer = options.Value.JwtIssuer,
            Audience = options.Value.JwtAudience,
            IssuedAt = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            SigningCredentials = keys.SigningCredentials,
        };
        return (_handler.CreateToken(descriptor), expires);
    }
}
