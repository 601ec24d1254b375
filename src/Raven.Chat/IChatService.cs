namespace Raven.Chat;

/// <summary>
/// Every chat operation, with its validation and authorization (the caller is always the first argument).
/// Expected failures throw <see cref="ChatException"/>; nothing half-written is left on failure.
/// REST endpoints and Socket.IO handlers both call this, so the rules live in one place.
/// </summary>
public interface IChatService
{
    // Users
    Task<User> RegisterAsync(string username, string email, string password, CancellationToken ct = default);
    /// <summary>Null when the email is unknown or the password is wrong.</summary>
    Task<User?> VerifyCredentialsAsync(string email, string password, CancellationToken ct = default);
    Task<User?> FindUserAsync(string userId, CancellationToken ct = default);
    Task<User> UpdateProfileAsync(string userId, ProfileUpdate update, CancellationToken ct = default);
    /// <summary>Case-insensitive substring match on username (and email), at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<User>> SearchUsersAsync(string term, int limit, CancellationToken ct = default);

    // Conversations
    Task<IReadOnlyList<ConversationSummary>> ListConversationsAsync(string userId, CancellationToken ct = default);
    Task<ConversationDetails> GetConversationAsync(string userId, string conversationId, CancellationToken ct = default);
    /// <summary>Direct: exactly one other user; returns the existing DM when there is one. Group: a name is required.</summary>
    Task<Conversation> CreateConversationAsync(string userId, ConversationType type, string? name, IReadOnlyList<string> userIds, CancellationToken ct = default);
    Task<Conversation> UpdateConversationAsync(string userId, string conversationId, string? name, string? avatar, CancellationToken ct = default);
    /// <summary>Owner only; soft delete.</summary>
    Task DeleteConversationAsync(string userId, string conversationId, CancellationToken ct = default);
    Task AddMemberAsync(string userId, string conversationId, string memberId, CancellationToken ct = default);
    Task RemoveMemberAsync(string userId, string conversationId, string memberId, CancellationToken ct = default);
    Task LeaveConversationAsync(string userId, string conversationId, CancellationToken ct = default);
    Task MarkReadAsync(string userId, string conversationId, CancellationToken ct = default);
    /// <summary>Throws NotFound (absent or deleted) or PermissionDenied (not a participant); validates the id format.</summary>
    Task<Conversation> EnsureParticipantAsync(string userId, string conversationId, CancellationToken ct = default);
    Task<IReadOnlyList<string>> GetParticipantIdsAsync(string conversationId, CancellationToken ct = default);

    // Messages
    /// <summary>Validates, stores, bumps the other participants' unread counts; returns the stored message.</summary>
    Task<Message> SendMessageAsync(string userId, string conversationId, NewMessage message, CancellationToken ct = default);
    Task<IReadOnlyList<Message>> GetMessagesAsync(string userId, string conversationId, HistoryQuery query, CancellationToken ct = default);
    Task<Message> GetMessageAsync(string userId, string messageId, CancellationToken ct = default);
    /// <summary>Sender only; soft delete; returns the deleted message.</summary>
    Task<Message> DeleteMessageAsync(string userId, string messageId, CancellationToken ct = default);

    // Friends
    Task<IReadOnlyList<Friendship>> ListFriendsAsync(string userId, CancellationToken ct = default);
    Task<FriendRequests> GetFriendRequestsAsync(string userId, CancellationToken ct = default);
    Task<FriendRequest> SendFriendRequestAsync(string userId, string toUserId, CancellationToken ct = default);
    /// <summary>Accepts, creates the friendship and the direct conversation (or reuses it); returns its id.</summary>
    Task<(FriendRequest Request, string ConversationId)> AcceptFriendRequestAsync(string userId, string requestId, CancellationToken ct = default);
    Task<FriendRequest> DeclineFriendRequestAsync(string userId, string requestId, CancellationToken ct = default);
    /// <summary>Friends and co-participants of any conversation: who hears this user's presence changes.</summary>
    Task<IReadOnlyList<string>> GetContactIdsAsync(string userId, CancellationToken ct = default);
}

/// <summary>Refresh-token sessions with rotation and family revocation (reuse of a rotated token revokes its family).</summary>
public interface IRefreshSessionStore
{
    Task CreateAsync(RefreshSession session, CancellationToken ct = default);
    Task<RefreshSession?> FindByTokenHashAsync(string tokenHash, CancellationToken ct = default);
    /// <summary>Atomically marks <paramref name="oldTokenHash"/> rotated and stores <paramref name="next"/>; false if it was already rotated or revoked.</summary>
    Task<bool> RotateAsync(string oldTokenHash, RefreshSession next, CancellationToken ct = default);
    Task RevokeFamilyAsync(string familyId, CancellationToken ct = default);
    Task RevokeAllForUserAsync(string userId, CancellationToken ct = default);
    /// <summary>Deletes sessions whose family has expired (nothing can use or replay them any more); returns how many.</summary>
    Task<int> PruneExpiredAsync(CancellationToken ct = default) => Task.FromResult(0);
}
