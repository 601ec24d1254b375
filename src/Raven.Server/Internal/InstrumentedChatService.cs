using Raven.Chat;

namespace Raven.Server.Internal;

/// <summary>
/// Wraps the registered <see cref="IChatService"/>: times every store operation (<c>raven.chat.store.duration</c>),
/// counts stored messages and failed sign-ins, and tracks operations in flight so a graceful shutdown can wait for
/// them. Domain refusals (<see cref="ChatException"/>) are outcome "rejected", anything else thrown is "error".
/// </summary>
internal sealed class InstrumentedChatService(IChatService inner, RavenMetrics metrics) : IChatService
{
    public Task<User> RegisterAsync(string username, string email, string password, CancellationToken ct)
        => Measure(metrics.StoreOperationStarted(), "register", inner.RegisterAsync(username, email, password, ct));

    public Task<User?> VerifyCredentialsAsync(string email, string password, CancellationToken ct)
        => FailedSignInCounted(Measure(metrics.StoreOperationStarted(), "verify_credentials", inner.VerifyCredentialsAsync(email, password, ct)));

    public Task<User?> FindUserAsync(string userId, CancellationToken ct)
        => Measure(metrics.StoreOperationStarted(), "find_user", inner.FindUserAsync(userId, ct));

    public Task<User> UpdateProfileAsync(string userId, ProfileUpdate update, CancellationToken ct)
        => Measure(metrics.StoreOperationStarted(), "update_profile", inner.UpdateProfileAsync(userId, update, ct));

    public Task<IReadOnlyList<User>> SearchUsersAsync(string term, int limit, CancellationToken ct)
        => Measure(metrics.StoreOperationStarted(), "search_users", inner.SearchUsersAsync(term, limit, ct));

    public Task<IReadOnlyList<ConversationSummary>> ListConversationsAsync(string userId, CancellationToken ct)
        => Measure(metrics.StoreOperationStarted(), "list_conversations", inner.ListConversationsAsync(userId, ct));

    public Task<ConversationDetails> GetConversationAsync(string userId, string conversationId, CancellationToken ct)
        => Measure(metrics.StoreOperationStarted(), "get_conversation", inner.GetConversationAsync(userId, conversationId, ct));

    public Task<Conversation> CreateConversationAsync(string userId, ConversationType type, string? name, IReadOnlyList<string> userIds, CancellationToken ct)
        => Measure(metrics.StoreOperationStarted(), "create_conversation", inner.CreateConversationAsync(userId, type, name, userIds, ct));

    public Task<Conversation> UpdateConversationAsync(string userId, string conversationId, string? name, string? avatar, CancellationToken ct)
        => Measure(metrics.StoreOperationStarted(), "update_conversation", inner.UpdateConversationAsync(userId, conversationId, name, avatar, ct));

    public Task DeleteConversationAsync(string userId, string conversationId, CancellationToken ct)
        => Measure(metrics.StoreOperationStarted(), "delete_conversation", inner.DeleteConversationAsync(userId, conversationId, ct));

    public Task AddMemberAsync(string userId, string conversationId, string memberId, CancellationToken ct)
        => Measure(metrics.StoreOperationStarted(), "add_member", inner.AddMemberAsync(userId, conversationId, memberId, ct));

    public Task RemoveMemberAsync(string userId, string conversationId, string memberId, CancellationToken ct)
        => Measure(metrics.StoreOperationStarted(), "remove_member", inner.RemoveMemberAsync(userId, conversationId, memberId, ct));

    public Task LeaveConversationAsync(string userId, string conversationId, CancellationToken ct)
        => Measure(metrics.StoreOperationStarted(), "leave_conversation", inner.LeaveConversationAsync(userId, conversationId, ct));

    public Task MarkReadAsync(string userId, string conversationId, CancellationToken ct)
        => Measure(metrics.StoreOperationStarted(), "mark_read", inner.MarkReadAsync(userId, conversationId, ct));

    public Task<Conversation> EnsureParticipantAsync(string userId, string conversationId, CancellationToken ct)
        => Measure(metrics.StoreOperationStarted(), "ensure_participant", inner.EnsureParticipantAsync(userId, conversationId, ct));

    public Task<IReadOnlyList<string>> GetParticipantIdsAsync(string conversationId, CancellationToken ct)
        => Measure(metrics.StoreOperationStarted(), "get_participant_ids", inner.GetParticipantIdsAsync(conversationId, ct));

    public Task<Message> SendMessageAsync(string userId, string conversationId, NewMessage message, CancellationToken ct)
        => Count(Measure(metrics.StoreOperationStarted(), "send_message", inner.SendMessageAsync(userId, conversationId, message, ct)));

    public Task<IReadOnlyList<Message>> GetMessagesAsync(string userId, string conversationId, HistoryQuery query, CancellationToken ct)
        => Measure(metrics.StoreOperationStarted(), "get_messages", inner.GetMessagesAsync(userId, conversationId, query, ct));

    public Task<Message> GetMessageAsync(string userId, string messageId, CancellationToken ct)
        => Measure(metrics.StoreOperationStarted(), "get_message", inner.GetMessageAsync(userId, messageId, ct));

    public Task<Message> DeleteMessageAsync(string userId, string messageId, CancellationToken ct)
        => Measure(metrics.StoreOperationStarted(), "delete_message", inner.DeleteMessageAsync(userId, messageId, ct));

    public Task<IReadOnlyList<Friendship>> ListFriendsAsync(string userId, CancellationToken ct)
        => Measure(metrics.StoreOperationStarted(), "list_friends", inner.ListFriendsAsync(userId, ct));

    public Task<FriendRequests> GetFriendRequestsAsync(string userId, CancellationToken ct)
        => Measure(metrics.StoreOperationStarted(), "get_friend_requests", inner.GetFriendRequestsAsync(userId, ct));

    public Task<FriendRequest> SendFriendRequestAsync(string userId, string toUserId, CancellationToken ct)
        => Measure(metrics.StoreOperationStarted(), "send_friend_request", inner.SendFriendRequestAsync(userId, toUserId, ct));

    public Task<(FriendRequest Request, string ConversationId)> AcceptFriendRequestAsync(string userId, string requestId, CancellationToken ct)
        => Measure(metrics.StoreOperationStarted(), "accept_friend_request", inner.AcceptFriendRequestAsync(userId, requestId, ct));

    public Task<FriendRequest> DeclineFriendRequestAsync(string userId, string requestId, CancellationToken ct)
        => Measure(metrics.StoreOperationStarted(), "decline_friend_request", inner.DeclineFriendRequestAsync(userId, requestId, ct));

    public Task<IReadOnlyList<string>> GetContactIdsAsync(string userId, CancellationToken ct)
        => Measure(metrics.StoreOperationStarted(), "get_contact_ids", inner.GetContactIdsAsync(userId, ct));

    private async Task<T> Measure<T>(long started, string operation, Task<T> call)
    {
        var outcome = "error";
        try
        {
            var result = await call.ConfigureAwait(false);
            outcome = "ok";
            return result;
        }
        catch (ChatException)
        {
            outcome = "rejected";
            throw;
        }
        finally
        {
            metrics.StoreOperationEnded(started, operation, outcome);
        }
    }

    private async Task Measure(long started, string operation, Task call)
    {
        var outcome = "error";
        try
        {
            await call.ConfigureAwait(false);
            outcome = "ok";
        }
        catch (ChatException)
        {
            outcome = "rejected";
            throw;
        }
        finally
        {
            metrics.StoreOperationEnded(started, operation, outcome);
        }
    }

    private async Task<Message> Count(Task<Message> stored)
    {
        var message = await stored.ConfigureAwait(false);
        metrics.MessageStored();
        return message;
    }

    private async Task<User?> FailedSignInCounted(Task<User?> verified)
    {
        var user = await verified.ConfigureAwait(false);
        if (user is null)
        {
            metrics.AuthFailed("INVALID_CREDENTIALS");
        }

        return user;
    }
}
