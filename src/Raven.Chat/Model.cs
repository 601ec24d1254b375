namespace Raven.Chat;

// The domain as the transports (REST, Socket.IO) see it. Ids are 24-hex ObjectId-style strings (time-ordered).

public sealed record User(string Id, string Username, string Email, string? Avatar, DateTimeOffset CreatedAt);

public enum ConversationType
{
    Direct,
    Group,
}

public sealed record Conversation(
    string Id,
    string Name,
    ConversationType Type,
    string OwnerId,
    string? Avatar,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>A conversation as one participant's sidebar shows it.</summary>
/// <param name="DisplayName">Group: its name. Direct: the other user's email (the original client relies on this).</param>
/// <param name="OtherUserId">Direct only: the other participant.</param>
public sealed record ConversationSummary(
    Conversation Conversation,
    string DisplayName,
    string? OtherUserId,
    int UnreadCount,
    DateTimeOffset? LastReadAt,
    Message? LastMessage);

public sealed record ConversationDetails(Conversation Conversation, string DisplayName, string? OtherUserId, IReadOnlyList<User> Members);

public sealed record Message(
    string Id,
    string ConversationId,
    string SenderId,
    string SenderName,
    string? SenderAvatar,
    string? Text,
    string? Url,
    string? FileName,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

public enum FriendRequestStatus
{
    Pending,
    Accepted,
    Declined,
}

public sealed record FriendRequest(
    string Id,
    User FromUser,
    User ToUser,
    FriendRequestStatus Status,
    DateTimeOffset CreatedAt);

/// <summary>One friendship seen from <paramref name="UserId"/>'s side.</summary>
public sealed record Friendship(string Id, string UserId, string FriendId, User Friend, DateTimeOffset CreatedAt);

public sealed record FriendRequests(IReadOnlyList<FriendRequest> Sent, IReadOnlyList<FriendRequest> Received);

public sealed record ProfileUpdate(string? Username, string? Avatar, string? Password, string? CurrentPassword);

public sealed record NewMessage(string? Text, string? Url, string? FileName);

/// <summary>Cursor page of a conversation's history, newest first. At most one of Before/After.</summary>
public sealed record HistoryQuery(int Limit, string? Before, string? After);

/// <summary>A refresh-token session. Tokens are stored only as hashes.</summary>
public sealed record RefreshSession(
    string Id,
    string UserId,
    string FamilyId,
    string TokenHash,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? RotatedAt,
    DateTimeOffset? RevokedAt);
