using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Raven.Chat;
using Raven.Server.Internal;

namespace Raven.Server.Auth.Internal;

/// <summary>A signed-in session: a fresh access token and the opaque refresh token of its family.</summary>
internal sealed record IssuedSession(
    User User,
    string AccessToken,
    DateTimeOffset AccessExpiresAt,
    string RefreshToken,
    DateTimeOffset RefreshExpiresAt);

/// <summary>
/// Refresh-token sessions over <see cref="IRefreshSessionStore"/>: opaque random tokens stored only as SHA-256 hashes,
/// rotated on every use; presenting an already rotated token revokes its whole family (it was stolen or replayed).
/// </summary>
internal sealed class SessionService(
    IRefreshSessionStore store,
    IChatService chat,
    AccessTokenIssuer issuer,
    IOptions<RavenServerOptions> options,
    TimeProvider time,
    ILogger<SessionService> logger)
{
    public async Task<IssuedSession> StartAsync(User user, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var (refresh, hash) = NewRefreshToken();
        var session = new RefreshSession(ObjectIds.NewId(now), user.Id, ObjectIds.NewId(now), hash, now, now + options.Value.RefreshTokenLifetime, null, null);
        await store.CreateAsync(session, ct);
        var (access, accessExpires) = issuer.Issue(user);
        return new IssuedSession(user, access, accessExpires, refresh, session.ExpiresAt);
    }

    /// <summary>Rotates <paramref name="refreshToken"/>; null when it is unknown, expired, revoked or reused.</summary>
    public async Task<IssuedSession?> RefreshAsync(string refreshToken, CancellationToken ct)
    {
        var current = await store.FindByTokenHashAsync(Hash(refreshToken), ct);
        var now = time.GetUtcNow();
        if (current is null || current.RevokedAt is not null || current.ExpiresAt <= now)
        {
            return null;
        }

        if (current.RotatedAt is not null)
        {
            await RevokeReusedFamilyAsync(current, ct);
            return null;
        }

        var user = await chat.FindUserAsync(current.UserId, ct);
        if (user is null)
        {
            await store.RevokeFamilyAsync(current.FamilyId, ct);
            return null;
        }

        var (refresh, hash) = NewRefreshToken();
        // The family keeps its original expiry: rotation must not extend a stolen session forever.
        var next = new RefreshSession(ObjectIds.NewId(now), user.Id, current.FamilyId, hash, now, current.ExpiresAt, null, null);
        if (!await store.RotateAsync(current.TokenHash, next, ct))
        {
            // Lost a race against another use of the same token: that is reuse too.
            await RevokeReusedFamilyAsync(current, ct);
            return null;
        }

        var (access, accessExpires) = issuer.Issue(user);
        return new IssuedSession(user, access, accessExpires, refresh, next.ExpiresAt);
    }

    /// <summary>Ends the session family of <paramref name="refreshToken"/> (sign-out); unknown tokens are ignored.</summary>
    public async Task EndAsync(string? refreshToken, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(refreshToken))
        {
            return;
        }

        var current = await store.FindByTokenHashAsync(Hash(refreshToken), ct);
        if (current is not null)
        {
            await store.RevokeFamilyAsync(current.FamilyId, ct);
        }
    }

    private async Task RevokeReusedFamilyAsync(RefreshSession session, CancellationToken ct)
    {
        ServerLog.RefreshTokenReuse(logger, session.UserId);
        await store.RevokeFamilyAsync(session.FamilyId, ct);
    }

    private static (string Token, string Hash) NewRefreshToken()
    {
        var token = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        return (token, Hash(token));
    }

    internal static string Hash(string token)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(token), digest);
        return Convert.ToHexStringLower(digest);
    }
}

/// <summary>The auth cookies: httpOnly, Path=/ (they must reach /socket.io/ too), SameSite=Lax, Secure on HTTPS.</summary>
internal static class AuthCookies
{
    public const string RefreshCookieName = "refreshToken";

    public static void Set(HttpContext context, IssuedSession session, TimeProvider time)
    {
        var now = time.GetUtcNow();
        context.Response.Cookies.Append(AccessTokenReader.CookieName, session.AccessToken, Options(context, session.AccessExpiresAt - now));
        context.Response.Cookies.Append(RefreshCookieName, session.RefreshToken, Options(context, session.RefreshExpiresAt - now));
    }

    public static void Clear(HttpContext context)
    {
        context.Response.Cookies.Delete(AccessTokenReader.CookieName, Options(context, null));
        context.Response.Cookies.Delete(RefreshCookieName, Options(context, null));
    }

    private static CookieOptions Options(HttpContext context, TimeSpan? maxAge) => new()
    {
        HttpOnly = true,
        Path = "/",
        SameSite = SameSiteMode.Lax,
        Secure = context.Request.IsHttps,
        MaxAge = maxAge is { } age ? TimeSpan.FromSeconds(Math.Max(0, Math.Round(age.TotalSeconds))) : null,
        IsEssential = true,
    };
}
