using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Raven.Chat;
using Raven.Server.Auth.Internal;
using Raven.Server.Internal;

namespace Raven.Server.Apis;

/// <summary>/api/v1/messages: history, sending over HTTP (broadcast like the socket path), lookup and deletion.</summary>
internal static class MessagesApi
{
    private const int DefaultLimit = 20;
    private const int MaxLimit = 100;

    public static void MapMessagesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/messages").WithTags("Messages").RequireAuthorization().ProducesErrors(400, 401, 403, 404);
        group.MapGet("/conversation/{id}", HistoryAsync).WithSummary("History page, newest first (cursor: before/after = message id)");
        group.MapPost("/conversation/{id}", SendAsync).RequireRateLimiting(RateLimiting.MessagePolicy).WithSummary("Send a message (also delivered to connected sockets)");
        group.MapGet("/{id}", GetAsync).WithSummary("One message");
        group.MapDelete("/{id}", DeleteAsync).WithSummary("Delete a message (sender only)");
    }

    private static async Task<Ok<MessagePageEnvelope>> HistoryAsync(
        string id, [FromQuery] int? limit, [FromQuery] string? before, [FromQuery] string? after,
        ClaimsPrincipal principal, IChatService chat, CancellationToken ct)
    {
        var conversationId = Ids.Require(id, "id");
        var size = limit ?? DefaultLimit;
        if (size is < 1 or > MaxLimit)
        {
            throw ApiException.Validation($"limit must be between 1 and {MaxLimit}.");
        }

        before = string.IsNullOrEmpty(before) ? null : Ids.Require(before, "before");
        after = string.IsNullOrEmpty(after) ? null : Ids.Require(after, "after");
        if (before is not null && after is not null)
        {
            throw ApiException.Validation("Use either before or after, not both.");
        }

        var messages = await chat.GetMessagesAsync(principal.GetUserId(), conversationId, new HistoryQuery(size, before, after), ct);
        var page = messages.Select(MessageDto.From).ToArray();
        // A full page may have more behind it; the web client pages on exactly this condition too.
        return TypedResults.Ok(new MessagePageEnvelope(true, page, new PaginationDto(size, before, after, page.Length >= size)));
    }

    private static async Task<Created<Envelope<MessageDto>>> SendAsync(
        string id, [FromBody] SendMessageRequest request, ClaimsPrincipal principal, IChatService chat,
        IChatNotifier notifier, ILoggerFactory loggers, CancellationToken ct)
    {
        var message = await chat.SendMessageAsync(
            principal.GetUserId(), Ids.Require(id, "id"), new NewMessage(request.Text, request.Url, request.FileName), ct);
        await NotifyAsync(() => notifier.MessageCreated(message), message.Id, loggers);
        return TypedResults.Created($"/api/v1/messages/{message.Id}", new Envelope<MessageDto>(true, MessageDto.From(message)));
    }

    private static async Task<Ok<Envelope<MessageDto>>> GetAsync(string id, ClaimsPrincipal principal, IChatService chat, CancellationToken ct)
    {
        var message = await chat.GetMessageAsync(principal.GetUserId(), Ids.Require(id, "id"), ct);
        return TypedResults.Ok(new Envelope<MessageDto>(true, MessageDto.From(message)));
    }

    private static async Task<Ok<Envelope<MessageDto>>> DeleteAsync(
        string id, ClaimsPrincipal principal, IChatService chat, IChatNotifier notifier, ILoggerFactory loggers, CancellationToken ct)
    {
        var message = await chat.DeleteMessageAsync(principal.GetUserId(), Ids.Require(id, "id"), ct);
        await NotifyAsync(() => notifier.MessageDeleted(message), message.Id, loggers);
        return TypedResults.Ok(new Envelope<MessageDto>(true, MessageDto.From(message), "Message deleted"));
    }

    // The message is stored already; a failing broadcast must not turn the request into an error the client would retry.
    private static async Task NotifyAsync(Func<Task> notify, string messageId, ILoggerFactory loggers)
    {
        try
        {
            await notify();
        }
        catch (Exception ex)
        {
            ServerLog.NotifyFailed(loggers.CreateLogger(typeof(MessagesApi).FullName!), messageId, ex);
        }
    }
}
