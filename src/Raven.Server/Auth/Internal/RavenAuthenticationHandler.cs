using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Raven.Server.Internal;

namespace Raven.Server.Auth.Internal;

/// <summary>
/// Authenticates REST requests from <c>Authorization: Bearer</c> or the <c>accessToken</c> cookie, and answers
/// challenges with the JSON error envelope instead of a bare 401.
/// </summary>
internal sealed class RavenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    AccessTokenValidator validator)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Raven";

    private static readonly PathString ApiPrefix = new("/api");

    private AccessTokenResult? _result;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        // Only the REST API authenticates per request. Socket.IO authenticates its handshake itself, and its
        // long-polling requests must not pay a token validation and a user lookup each.
        if (!Request.Path.StartsWithSegments(ApiPrefix))
        {
            return AuthenticateResult.NoResult();
        }

        var token = AccessTokenReader.FromRequest(Request);
        if (token is null)
        {
            return AuthenticateResult.NoResult();
        }

        _result = await validator.ValidateAsync(token, Context.RequestAborted);
        if (!_result.Success)
        {
            return AuthenticateResult.Fail(_result.ErrorMessage ?? "Invalid access token.");
        }

        var claims = new List<Claim>(3) { new(AccessTokenClaims.UserId, _result.UserId!) };
        if (_result.Username is not null)
        {
            claims.Add(new Claim(AccessTokenClaims.Username, _result.Username));
        }

        if (_result.Email is not null)
        {
            claims.Add(new Claim(AccessTokenClaims.Email, _result.Email));
        }

        if (_result.SessionId is not null)
        {
            claims.Add(new Claim(AccessTokenClaims.SessionId, _result.SessionId));
        }

        var identity = new ClaimsIdentity(claims, SchemeName, AccessTokenClaims.Username, null);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var code = _result?.ErrorCode ?? AccessTokenResult.AuthenticationRequired;
        var message = _result?.ErrorMessage ?? "Authentication is required.";
        return ApiErrors.WriteAsync(Context, StatusCodes.Status401Unauthorized, code, message);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ApiErrors.WriteAsync(Context, StatusCodes.Status403Forbidden, "PERMISSION_DENIED", "You may not do this.");
}

/// <summary>Reads the authenticated caller of an endpoint.</summary>
internal static class CallerExtensions
{
    /// <summary>The <c>userId</c> of an authenticated principal (endpoints that require authorization always have one).</summary>
    public static string GetUserId(this ClaimsPrincipal principal) =>
        principal.FindFirstValue(AccessTokenClaims.UserId)
        ?? throw new InvalidOperationException("The endpoint requires an authenticated caller.");

    /// <summary>The session id (<c>sid</c>) of the caller's access token, when it has one.</summary>
    public static string? GetSessionId(this ClaimsPrincipal principal) => principal.FindFirstValue(AccessTokenClaims.SessionId);
}
