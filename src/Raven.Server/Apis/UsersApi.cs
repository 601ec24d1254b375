using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Raven.Chat;
using Raven.Server.Auth.Internal;
using Raven.Server.Internal;

namespace Raven.Server.Apis;

/// <summary>/api/v1/users: profile, search and lookup.</summary>
internal static class UsersApi
{
    private const int SearchLimit = 10;

    public static void MapUsersApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/users").WithTags("Users").RequireAuthorization().ProducesErrors(400, 401, 404);
        group.MapGet("/profile", GetProfileAsync).WithSummary("The caller's profile");
        group.MapPut("/profile", UpdateProfileAsync).WithSummary("Change username, avatar or password (password needs currentPassword)");
        group.MapGet("/search", SearchAsync).RequireRateLimiting(RateLimiting.SearchPolicy).ProducesErrors(429).WithSummary("Users matching the term (SEARCH_MODE: username or email substring, or username prefix; bare array, at most 10)");
        group.MapGet("/{id}", GetUserAsync).WithSummary("One user");
    }

    private static async Task<Ok<Envelope<UserDto>>> GetProfileAsync(ClaimsPrincipal principal, IChatService chat, CancellationToken ct)
    {
        var user = await chat.FindUserAsync(principal.GetUserId(), ct)
            ?? throw new ChatException(ChatErrorKind.NotFound, "User not found.");
        return TypedResults.Ok(new Envelope<UserDto>(true, UserDto.From(user)));
    }

    private static async Task<Ok<Envelope<UserDto>>> UpdateProfileAsync(
        [FromBody] UpdateProfileRequest request, ClaimsPrincipal principal, HttpContext context,
        CredentialCheck credentials, SessionService sessions, TimeProvider time, CancellationToken ct)
    {
        if (!string.IsNullOrEmpty(request.Password) && string.IsNullOrEmpty(request.CurrentPassword))
        {
            throw ApiException.Validation("currentPassword is required to change the password.");
        }

        var userId = principal.GetUserId();
        var user = await credentials.UpdateProfileAsync(
            userId,
            new ProfileUpdate(request.Username, request.Avatar, request.Password, request.CurrentPassword),
            ct);
        if (!string.IsNullOrEmpty(request.Password))
        {
            // A new password ends every other session (refresh tokens, access tokens, sockets); this browser gets a fresh one.
            AuthCookies.Set(context, await sessions.RestartAllAsync(user, principal.GetSessionId(), ct), time);
        }

        return TypedResults.Ok(new Envelope<UserDto>(true, UserDto.From(user), "Profile updated"));
    }

    private static async Task<Ok<UserDto[]>> SearchAsync(
        [FromQuery] string? username, IChatService chat, IOptions<RavenServerOptions> options, CancellationToken ct)
    {
        var term = username?.Trim();
        var minimum = options.Value.SearchMinLength;
        if (term is null || term.Length < minimum)
        {
            throw ApiException.Validation($"username must have at least {minimum} characters.");
        }

        var users = await chat.SearchUsersAsync(term, SearchLimit, ct);
        return TypedResults.Ok(users.Take(SearchLimit).Select(UserDto.From).ToArray());
    }

    private static async Task<Ok<Envelope<UserDto>>> GetUserAsync(string id, IChatService chat, CancellationToken ct)
    {
        var user = await chat.FindUserAsync(Ids.Require(id, "id"), ct)
            ?? throw new ChatException(ChatErrorKind.NotFound, "User not found.");
        return TypedResults.Ok(new Envelope<UserDto>(true, UserDto.From(user)));
    }
}
