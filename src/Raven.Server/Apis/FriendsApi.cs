using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Raven.Chat;
using Raven.Server.Auth.Internal;
using Raven.Server.Internal;

namespace Raven.Server.Apis;

/// <summary>/api/v1/friends: friendships, requests and the friends' online state.</summary>
internal static class FriendsApi
{
    public static void MapFriendsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/friends").WithTags("Friends").RequireAuthorization().ProducesErrors(400, 401, 403, 404, 409);
        group.MapGet("/", ListAsync).WithSummary("The caller's friends");
        group.MapGet("/requests", RequestsAsync).WithSummary("Sent and received friend requests");
        group.MapPost("/requests", SendRequestAsync).WithSummary("Send a friend request");
        group.MapPost("/requests/{id}/accept", AcceptAsync).WithSummary("Accept; opens (or reuses) the direct conversation");
        group.MapPost("/requests/{id}/decline", DeclineAsync).WithSummary("Decline");
        group.MapGet("/online-status", OnlineStatusAsync).WithSummary("Online state of each friend");
    }

    private static async Task<Ok<Envelope<FriendDto[]>>> ListAsync(ClaimsPrincipal principal, IChatService chat, CancellationToken ct)
    {
        var friends = await chat.ListFriendsAsync(principal.GetUserId(), ct);
        return TypedResults.Ok(new Envelope<FriendDto[]>(true, friends.Select(FriendDto.From).ToArray()));
    }

    private static async Task<Ok<Envelope<FriendRequestsDto>>> RequestsAsync(ClaimsPrincipal principal, IChatService chat, CancellationToken ct)
    {
        var requests = await chat.GetFriendRequestsAsync(principal.GetUserId(), ct);
        var dto = new FriendRequestsDto(
            requests.Sent.Select(FriendRequestDto.From).ToArray(),
            requests.Received.Select(FriendRequestDto.From).ToArray());
        return TypedResults.Ok(new Envelope<FriendRequestsDto>(true, dto));
    }

    private static async Task<Created<Envelope<FriendRequestDto>>> SendRequestAsync(
        [FromBody] FriendRequestCreate request, ClaimsPrincipal principal, IChatService chat, CancellationToken ct)
    {
        var sent = await chat.SendFriendRequestAsync(principal.GetUserId(), Ids.Require(request.ToUserId, "toUserId"), ct);
        return TypedResults.Created($"/api/v1/friends/requests/{sent.Id}", new Envelope<FriendRequestDto>(true, FriendRequestDto.From(sent), "Friend request sent"));
    }

    private static async Task<Ok<Envelope<AcceptedFriendRequestDto>>> AcceptAsync(string id, ClaimsPrincipal principal, IChatService chat, CancellationToken ct)
    {
        var (request, conversationId) = await chat.AcceptFriendRequestAsync(principal.GetUserId(), Ids.Require(id, "id"), ct);
        var r = FriendRequestDto.From(request);
        var dto = new AcceptedFriendRequestDto(r.Id, r.FromUserId, r.ToUserId, r.FromUser, r.ToUser, r.Status, r.CreatedAt, conversationId);
        return TypedResults.Ok(new Envelope<AcceptedFriendRequestDto>(true, dto, "Friend request accepted"));
    }

    private static async Task<Ok<Envelope<FriendRequestDto>>> DeclineAsync(string id, ClaimsPrincipal principal, IChatService chat, CancellationToken ct)
    {
        var request = await chat.DeclineFriendRequestAsync(principal.GetUserId(), Ids.Require(id, "id"), ct);
        return TypedResults.Ok(new Envelope<FriendRequestDto>(true, FriendRequestDto.From(request), "Friend request declined"));
    }

    private static async Task<Ok<Envelope<OnlineStatusDto>>> OnlineStatusAsync(
        ClaimsPrincipal principal, IChatService chat, IPresenceService presence, CancellationToken ct)
    {
        var friends = await chat.ListFriendsAsync(principal.GetUserId(), ct);
        var statuses = new Dictionary<string, bool>(friends.Count);
        foreach (var friend in friends)
        {
            statuses[friend.FriendId] = presence.IsOnline(friend.FriendId);
        }

        return TypedResults.Ok(new Envelope<OnlineStatusDto>(true, new OnlineStatusDto(statuses)));
    }
}
