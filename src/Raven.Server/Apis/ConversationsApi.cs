using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Raven.Chat;
using Raven.Server.Auth.Internal;
using Raven.Server.Internal;

namespace Raven.Server.Apis;

/// <summary>/api/v1/conversations: the caller's conversations, membership and read state.</summary>
internal static class ConversationsApi
{
    public static void MapConversationsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/conversations").WithTags("Conversations").RequireAuthorization().ProducesErrors(400, 401, 403, 404, 409);
        group.MapGet("/", ListAsync).WithSummary("The caller's conversations, split into direct and group");
        group.MapPost("/", CreateAsync).WithSummary("Create a conversation (a direct one returns the existing DM)");
        group.MapGet("/{id}", GetAsync).WithSummary("A conversation with its members");
        group.MapPut("/{id}", UpdateAsync).WithSummary("Rename or change the avatar");
        group.MapDelete("/{id}", DeleteAsync).WithSummary("Delete (owner only)");
        group.MapPost("/{id}/user", AddMemberAsync).WithSummary("Add a member");
        group.MapDelete("/{id}/user", RemoveMemberAsync).WithSummary("Remove a member");
        group.MapPut("/{id}/user", LeaveAsync).WithSummary("Leave the conversation");
        group.MapPost("/{id}/read", MarkReadAsync).WithSummary("Mark everything read");
    }

    private static async Task<Ok<Envelope<ConversationListDto>>> ListAsync(ClaimsPrincipal principal, IChatService chat, CancellationToken ct)
    {
        var all = await chat.ListConversationsAsync(principal.GetUserId(), ct);
        var direct = all.Where(s => s.Conversation.Type == ConversationType.Direct).Select(ConversationListItemDto.From).ToArray();
        var group = all.Where(s => s.Conversation.Type == ConversationType.Group).Select(ConversationListItemDto.From).ToArray();
        return TypedResults.Ok(new Envelope<ConversationListDto>(true, new ConversationListDto(direct, group)));
    }

    private static async Task<Created<Envelope<ConversationDetailsDto>>> CreateAsync(
        [FromBody] CreateConversationRequest request, ClaimsPrincipal principal, IChatService chat, CancellationToken ct)
    {
        var type = request.Type?.Trim().ToLowerInvariant() switch
        {
            "direct" => ConversationType.Direct,
            "group" => ConversationType.Group,
            _ => throw ApiException.Validation("type must be 'direct' or 'group'."),
        };
        if (request.UserIds is null)
        {
            throw ApiException.Validation("userIds must be an array of user ids.");
        }

        foreach (var id in request.UserIds)
        {
            Ids.Require(id, "userIds[]");
        }

        var userId = principal.GetUserId();
        var created = await chat.CreateConversationAsync(userId, type, request.Name, request.UserIds, ct);
        // The details carry the caller-specific name (the other user's email for a DM) and the members.
        var details = await chat.GetConversationAsync(userId, created.Id, ct);
        return TypedResults.Created($"/api/v1/conversations/{created.Id}", new Envelope<ConversationDetailsDto>(true, ConversationDetailsDto.From(details)));
    }

    private static async Task<Ok<Envelope<ConversationDetailsDto>>> GetAsync(string id, ClaimsPrincipal principal, IChatService chat, CancellationToken ct)
    {
        var details = await chat.GetConversationAsync(principal.GetUserId(), Ids.Require(id, "id"), ct);
        return TypedResults.Ok(new Envelope<ConversationDetailsDto>(true, ConversationDetailsDto.From(details)));
    }

    private static async Task<Ok<Envelope<ConversationDto>>> UpdateAsync(
        string id, [FromBody] UpdateConversationRequest request, ClaimsPrincipal principal, IChatService chat, CancellationToken ct)
    {
        var updated = await chat.UpdateConversationAsync(principal.GetUserId(), Ids.Require(id, "id"), request.Name, request.Avatar, ct);
        return TypedResults.Ok(new Envelope<ConversationDto>(true, ConversationDto.From(updated), "Conversation updated"));
    }

    private static async Task<Ok<MessageEnvelope>> DeleteAsync(
        string id, ClaimsPrincipal principal, IChatService chat, IChatNotifier notifier, CancellationToken ct)
    {
        var conversationId = Ids.Require(id, "id");
        var participants = await chat.GetParticipantIdsAsync(conversationId, ct);
        await chat.DeleteConversationAsync(principal.GetUserId(), conversationId, ct);
        await notifier.MembershipEnded(conversationId, participants);
        return TypedResults.Ok(new MessageEnvelope(true, "Conversation deleted"));
    }

    private static async Task<Ok<MessageEnvelope>> AddMemberAsync(
        string id, [FromBody] MemberRequest request, ClaimsPrincipal principal, IChatService chat, CancellationToken ct)
    {
        await chat.AddMemberAsync(principal.GetUserId(), Ids.Require(id, "id"), Ids.Require(request.UserId, "userId"), ct);
        return TypedResults.Ok(new MessageEnvelope(true, "Member added"));
    }

    private static async Task<Ok<MessageEnvelope>> RemoveMemberAsync(
        string id, [FromBody] MemberRequest request, ClaimsPrincipal principal, IChatService chat, IChatNotifier notifier, CancellationToken ct)
    {
        var conversationId = Ids.Require(id, "id");
        var memberId = Ids.Require(request.UserId, "userId");
        await chat.RemoveMemberAsync(principal.GetUserId(), conversationId, memberId, ct);
        await notifier.MembershipEnded(conversationId, [memberId]);
        return TypedResults.Ok(new MessageEnvelope(true, "Member removed"));
    }

    private static async Task<Ok<MessageEnvelope>> LeaveAsync(
        string id, ClaimsPrincipal principal, IChatService chat, IChatNotifier notifier, CancellationToken ct)
    {
        var conversationId = Ids.Require(id, "id");
        var userId = principal.GetUserId();
        await chat.LeaveConversationAsync(userId, conversationId, ct);
        await notifier.MembershipEnded(conversationId, [userId]);
        return TypedResults.Ok(new MessageEnvelope(true, "Left the conversation"));
    }

    private static async Task<Ok<MessageEnvelope>> MarkReadAsync(string id, ClaimsPrincipal principal, IChatService chat, CancellationToken ct)
    {
        await chat.MarkReadAsync(principal.GetUserId(), Ids.Require(id, "id"), ct);
        return TypedResults.Ok(new MessageEnvelope(true, "Marked as read"));
    }
}
