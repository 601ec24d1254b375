using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Raven.Chat;
using Raven.Server.Auth;
using Raven.Server.Auth.Internal;
using Raven.Server.Internal;

namespace Raven.Server.Apis;

/// <summary>/api/v1/auth: sign-up, cookie sessions with refresh rotation, and tokens for non-browser clients.</summary>
internal static class AuthApi
{
    public static void MapAuthApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/auth").WithTags("Auth").ProducesErrors(400, 401, 409, 429);
        group.MapPost("/signup", SignupAsync).RequireRateLimiting(RateLimiting.AuthPolicy)
            .WithSummary("Create an account");
        group.MapPost("/signin", SigninAsync).RequireRateLimiting(RateLimiting.AuthPolicy)
            .WithSummary("Sign in; sets the httpOnly accessToken and refreshToken cookies");
        group.MapPost("/token", TokenAsync).RequireRateLimiting(RateLimiting.AuthPolicy)
            .WithSummary("Sign in for non-browser clients; returns the tokens in the body");
        group.MapPost("/refresh", RefreshAsync).RequireRateLimiting(RateLimiting.AuthPolicy)
            .WithSummary("Rotate the refresh token (cookie or body) and issue a new access token");
        group.MapPost("/signout", SignoutAsync)
            .WithSummary("End the session and clear the cookies");
        group.MapGet("/me", MeAsync).RequireAuthorization()
            .WithSummary("The signed-in user");
    }

    private static async Task<Created<Envelope<UserDto>>> SignupAsync(
        [FromBody] SignupRequest request, IChatService chat, PasswordHashGate hashing, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Username) || string.IsNullOrWhiteSpace(request.Email) || string.IsNullOrEmpty(request.Password))
        {
            throw ApiException.Validation("username, email and password are required.");
        }

        var user = await hashing.RunAsync(() => chat.RegisterAsync(request.Username.Trim(), request.Email.Trim(), request.Password, ct), ct);
        return TypedResults.Created($"/api/v1/users/{user.Id}", new Envelope<UserDto>(true, UserDto.From(user), "User created"));
    }

    private static async Task<Ok<Envelope<UserDto>>> SigninAsync(
        [FromBody] SigninRequest request, HttpContext context, CredentialCheck credentials, SessionService sessions, TimeProvider time, CancellationToken ct)
    {
        var session = await StartSessionAsync(request, credentials, sessions, ct);
        AuthCookies.Set(context, session, time);
        return TypedResults.Ok(new Envelope<UserDto>(true, UserDto.From(session.User), "Signed in"));
    }

    private static async Task<Ok<Envelope<TokenDto>>> TokenAsync(
        [FromBody] SigninRequest request, CredentialCheck credentials, SessionService sessions, AccessTokenIssuer issuer, CancellationToken ct)
    {
        var session = await StartSessionAsync(request, credentials, sessions, ct);
        var dto = new TokenDto(session.AccessToken, session.RefreshToken, (int)issuer.Lifetime.TotalSeconds, UserDto.From(session.User));
        return TypedResults.Ok(new Envelope<TokenDto>(true, dto));
    }

    private static async Task<IResult> RefreshAsync(
        HttpContext context, SessionService sessions, AccessTokenIssuer issuer, TimeProvider time, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, CancellationToken ct)
    {
        // Browsers send the cookie and no body; other clients send {refreshToken}. The body is optional, so it is read by hand.
        string? fromBody = null;
        if (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            try
            {
                var body = await context.Request.ReadFromJsonAsync<RefreshRequest>(json.Value.SerializerOptions, ct);
                fromBody = body?.RefreshToken;
            }
            catch (JsonException)
            {
                throw new ApiException(StatusCodes.Status400BadRequest, "INVALID_JSON", "The request body is not valid JSON.");
            }
            catch (InvalidOperationException)
            {
                // Not JSON at all (e.g. a form post): treat as no body.
            }
        }

        var token = !string.IsNullOrEmpty(fromBody) ? fromBody : context.Request.Cookies[AuthCookies.RefreshCookieName];
        if (string.IsNullOrEmpty(token))
        {
            throw new ApiException(StatusCodes.Status401Unauthorized, "AUTHENTICATION_REQUIRED", "A refresh token is required.");
        }

        var session = await sessions.RefreshAsync(token, ct);
        if (session is null)
        {
            // Returned, not thrown: the exception handler would also clear the cookie deletions from the response.
            AuthCookies.Clear(context);
            return ApiErrors.Result(StatusCodes.Status401Unauthorized, "INVALID_REFRESH_TOKEN", "The refresh token is invalid, expired or revoked.");
        }

        AuthCookies.Set(context, session, time);
        return string.IsNullOrEmpty(fromBody)
            ? TypedResults.Ok(new MessageEnvelope(true, "Token refreshed"))
            : TypedResults.Ok(new Envelope<RefreshedTokenDto>(
                true, new RefreshedTokenDto(session.AccessToken, session.RefreshToken, (int)issuer.Lifetime.TotalSeconds), "Token refreshed"));
    }

    private static async Task<Ok<MessageEnvelope>> SignoutAsync(HttpContext context, SessionService sessions, CancellationToken ct)
    {
        // The refresh cookie names the session; a valid access token (cookie or Bearer) names it too.
        var caller = context.User.Identity?.IsAuthenticated == true ? context.User : null;
        await sessions.EndAsync(
            context.Request.Cookies[AuthCookies.RefreshCookieName], caller?.GetUserId(), caller?.GetSessionId(), ct);
        AuthCookies.Clear(context);
        return TypedResults.Ok(new MessageEnvelope(true, "Signed out"));
    }

    private static async Task<Ok<Envelope<UserDto>>> MeAsync(ClaimsPrincipal principal, IChatService chat, CancellationToken ct)
    {
        var user = await chat.FindUserAsync(principal.GetUserId(), ct)
            ?? throw new ApiException(StatusCodes.Status401Unauthorized, AccessTokenResult.InvalidToken, "The user no longer exists.");
        return TypedResults.Ok(new Envelope<UserDto>(true, UserDto.From(user)));
    }

    private static async Task<IssuedSession> StartSessionAsync(SigninRequest request, CredentialCheck credentials, SessionService sessions, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Email) || string.IsNullOrEmpty(request.Password))
        {
            throw ApiException.Validation("email and password are required.");
        }

        var user = await credentials.SignInAsync(request.Email, request.Password, ct)
            ?? throw new ApiException(StatusCodes.Status401Unauthorized, "INVALID_CREDENTIALS", "Invalid email or password.");
        return await sessions.StartAsync(user, ct);
    }
}
