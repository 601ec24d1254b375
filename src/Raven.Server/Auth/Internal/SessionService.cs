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
    string SessionId,
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
    SessionRevocations revocations,
    IChatNotifier notifier,
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
        var (access, accessExpires) = issuer.Issue(user, session.FamilyId);
        return new IssuedSession(user, session.FamilyId, access, accessExpires, refresh, session.ExpiresAt);
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

        var (access, accessExpires) = issuer.Issue(user, current.FamilyId);
        return new IssuedSession(user, current.FamilyId, access, accessExpires, refresh, next.ExpiresAt);
    }

    /// <summary>
    /// Sign-out: ends the session family of <paramref name="refreshToken"/> and of the caller's access token
    /// (<paramref name="accessSessionId"/>), revokes their access tokens and disconnects their sockets. Unknown tokens are ignored.
    /// </summary>
    public async Task EndAsync(string? refreshToken, string? userId, string? accessSessionId, CancellationToken ct)
    {
        var current = string.IsNullOrEmpty(refreshToken) ? null : await store.FindByTokenHashAsync(Hash(refreshToken), ct);
        var families = new HashSet<string>(StringComparer.Ordinal);
        if (current is not null)
        {
            families.Add(current.FamilyId);
            userId ??= current.UserId;
        }

        if (!string.IsNullOrEmpty(accessSessionId))
        {
            families.Add(accessSessionId);
        }

        foreach (var family in families)
        {
            await store.RevokeFamilyAsync(family, ct);
            revocations.EndSession(family);
            await notifier.SessionEnded(userId!, family);
        }

        if (families.Count == 0 && userId is not null)
        {
            // A token without a session id (signed by the original API): only revoking everything of the user can stop it.
            revocations.RevokeIssuedBefore(userId);
            await notifier.SessionEnded(userId, null);
        }
    }

    /// <summary>
    /// Password change: revokes every refresh family and access token of the user and disconnects their other sockets,
    /// then starts a fresh session for the caller (whose sockets, of <paramref name="callerSessionId"/>, stay connected).
    /// </summary>
    public async Task<IssuedSession> RestartAllAsync(User user, string? callerSessionId, CancellationToken ct)
    {
        await store.RevokeAllForUserAsync(user.Id, ct);
        var fresh = await StartAsync(user, ct);
        revocations.RevokeIssuedBefore(user.Id, exceptSessionId: fresh.SessionId);
        await notifier.UserSessionsEnded(user.Id, callerSessionId);
        return fresh;
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

/// <summary>
/// The auth cookies: httpOnly, SameSite=Lax, Secure on HTTPS (including HTTPS terminated by a KNOWN_PROXIES proxy).
/// The access token has Path=/ (it must reach /socket.io/ too); the refresh token only goes to /api/v1/auth, where it
/// is used (refresh, sign-out). Names stay <c>accessToken</c>/<c>refreshToken</c> without the <c>__Host-</c> prefix:
/// the original web client, its socket handshake and the bench harness address them by name.
/// </summary>
internal static class AuthCookies
{
    public const string RefreshCookieName = "refreshToken";

    public const string RefreshCookiePath = "/api/v1/auth";

    public static void Set(HttpContext context, IssuedSession session, TimeProvider time)
    {
        var now = time.GetUtcNow();
        context.Response.Cookies.Append(AccessTokenReader.CookieName, session.AccessToken, Options(context, "/", session.AccessExpiresAt - now));
        context.Response.Cookies.Append(RefreshCookieName, session.RefreshToken, Options(context, RefreshCookiePath, session.RefreshExpiresAt - now));
    }

    public static void Clear(HttpContext context)
    {
        context.Response.Cookies.Delete(AccessTokenReader.CookieName, Options(context, "/", null));
        context.Response.Cookies.Delete(RefreshCookieName, Options(context, RefreshCookiePath, null));
    }

    private static CookieOptions Options(HttpContext context, string path, TimeSpan? maxAge) => new()
    {
        HttpOnly = true,
        Path = path,
        SameSite = SameSiteMode.Lax,
        Secure = context.Request.IsHttps,
        MaxAge = maxAge is { } age ? TimeSpan.FromSeconds(Math.Max(0, Math.Round(age.TotalSeconds))) : null,
        IsEssential = true,
    };
}
