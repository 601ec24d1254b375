using System.Text.Json.Serialization;
using Raven.Chat;

namespace Raven.Server.Apis;

// Wire shapes of the REST API (camelCase JSON), as the erion-raven web client reads them.

/// <summary>Success envelope: <c>{success:true, data, message?}</c>.</summary>
public sealed record Envelope<T>(
    bool Success,
    T Data,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Message = null);

/// <summary>Success envelope without data: <c>{success:true, message}</c>.</summary>
public sealed record MessageEnvelope(bool Success, string Message);

/// <summary>A page of history: the envelope plus <c>pagination</c> at top level.</summary>
public sealed record MessagePageEnvelope(bool Success, IReadOnlyList<MessageDto> Data, PaginationDto Pagination);

/// <summary>Cursor pagination of a history page.</summary>
public sealed record PaginationDto(int Limit, string? Before, string? After, bool HasMore);

/// <summary>A user as other users see it (never the password hash).</summary>
public sealed record UserDto(string Id, string Username, string Email, string? Avatar, DateTimeOffset CreatedAt)
{
    internal static UserDto From(User user) => new(user.Id, user.Username, user.Email, user.Avatar, user.CreatedAt);
}

/// <summary>A stored message.</summary>
public sealed record MessageDto(
    string Id,
    string ConversationId,
    string SenderId,
    string SenderName,
    string SenderAvatar,
    string? Text,
    string? Url,
    string? FileName,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    internal static MessageDto From(Message m) =>
        new(m.Id, m.ConversationId, m.SenderId, m.SenderName, m.SenderAvatar ?? string.Empty, m.Text, m.Url, m.FileName, m.CreatedAt, m.UpdatedAt);
}

/// <summary>A conversation as created or updated.</summary>
public sealed record ConversationDto(
    string Id,
    string Name,
    string Type,
    string OwnerId,
    string? Avatar,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    internal static ConversationDto From(Conversation c) =>
        new(c.Id, c.Name, TypeName(c.Type), c.OwnerId, c.Avatar, c.CreatedAt, c.UpdatedAt);

    internal static string TypeName(ConversationType type) => type == ConversationType.Direct ? "direct" : "group";
}

/// <summary>One sidebar entry; <c>name</c> of a direct conversation is the other user's email.</summary>
public sealed record ConversationListItemDto(
    string Id,
    string Name,
    string Type,
    string OwnerId,
    string? Avatar,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    int UnreadCount,
    DateTimeOffset? LastReadAt,
    string? OtherUserId,
    MessageDto? LastMessage)
{
    internal static ConversationListItemDto From(ConversationSummary s) => new(
        s.Conversation.Id,
        s.DisplayName,
        ConversationDto.TypeName(s.Conversation.Type),
        s.Conversation.OwnerId,
        s.Conversation.Avatar,
        s.Conversation.CreatedAt,
        s.Conversation.UpdatedAt,
        s.UnreadCount,
        s.LastReadAt,
        s.OtherUserId,
        s.LastMessage is null ? null : MessageDto.From(s.LastMessage));
}

/// <summary>The caller's conversations split by type.</summary>
public sealed record ConversationListDto(IReadOnlyList<ConversationListItemDto> Direct, IReadOnlyList<ConversationListItemDto> Group);

/// <summary>A conversation with its members.</summary>
public sealed record ConversationDetailsDto(
    string Id,
    string Name,
    string Type,
    string OwnerId,
    string? OtherUserId,
    string? Avatar,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    IReadOnlyList<UserDto> Members)
{
    internal static ConversationDetailsDto From(ConversationDetails d) => new(
        d.Conversation.Id,
        d.DisplayName,
        ConversationDto.TypeName(d.Conversation.Type),
        d.Conversation.OwnerId,
        d.OtherUserId,
        d.Conversation.Avatar,
        d.Conversation.CreatedAt,
        d.Conversation.UpdatedAt,
        d.Members.Select(UserDto.From).ToArray());
}

/// <summary>A friendship seen from the caller's side.</summary>
public sealed record FriendDto(string Id, string UserId, string FriendId, UserDto Friend, DateTimeOffset CreatedAt)
{
    internal static FriendDto From(Friendship f) => new(f.Id, f.UserId, f.FriendId, UserDto.From(f.Friend), f.CreatedAt);
}

/// <summary>A friend request.</summary>
public record FriendRequestDto(
    string Id,
    string FromUserId,
    string ToUserId,
    UserDto FromUser,
    UserDto ToUser,
    string Status,
    DateTimeOffset CreatedAt)
{
    internal static FriendRequestDto From(FriendRequest r) => new(
        r.Id, r.FromUser.Id, r.ToUser.Id, UserDto.From(r.FromUser), UserDto.From(r.ToUser), StatusName(r.Status), r.CreatedAt);

    internal static string StatusName(FriendRequestStatus status) => status switch
    {
        FriendRequestStatus.Accepted => "accepted",
        FriendRequestStatus.Declined => "declined",
        _ => "pending",
    };
}

/// <summary>An accepted friend request and the direct conversation it opened.</summary>
public sealed record AcceptedFriendRequestDto(
    string Id,
    string FromUserId,
    string ToUserId,
    UserDto FromUser,
    UserDto ToUser,
    string Status,
    DateTimeOffset CreatedAt,
    string ConversationId);

/// <summary>Sent and received friend requests.</summary>
public sealed record FriendRequestsDto(IReadOnlyList<FriendRequestDto> Sent, IReadOnlyList<FriendRequestDto> Received);

/// <summary>Online state of the caller's friends, by user id.</summary>
public sealed record OnlineStatusDto(IReadOnlyDictionary<string, bool> Statuses);

/// <summary>Tokens for non-browser clients.</summary>
public sealed record TokenDto(string AccessToken, string RefreshToken, int ExpiresIn, UserDto User);

/// <summary>Rotated tokens, returned when the refresh token came in the body.</summary>
public sealed record RefreshedTokenDto(string AccessToken, string RefreshToken, int ExpiresIn);

/// <summary>Where to PUT a file and where it will be served (bare, S3-style).</summary>
public sealed record PresignedUploadDto(string UploadUrl, string PublicUrl, string Key);

/// <summary>A stored upload.</summary>
public sealed record UploadedFileDto(string Key, string PublicUrl, long Size, string ContentType);

// Requests. Everything nullable: missing fields are validation errors with a clear message, not binder failures.

/// <summary>Sign-up form.</summary>
public sealed record SignupRequest(string? Username, string? Email, string? Password);

/// <summary>Sign-in form (also <c>/auth/token</c>).</summary>
public sealed record SigninRequest(string? Email, string? Password);

/// <summary>Refresh token in the body (non-browser clients).</summary>
public sealed record RefreshRequest(string? RefreshToken);

/// <summary>Profile change; <c>currentPassword</c> is required with <c>password</c>.</summary>
public sealed record UpdateProfileRequest(string? Username, string? Avatar, string? Password, string? CurrentPassword);

/// <summary>New conversation; the caller is added implicitly.</summary>
public sealed record CreateConversationRequest(string? Name, string? Type, IReadOnlyList<string>? UserIds);

/// <summary>Conversation rename / avatar.</summary>
public sealed record UpdateConversationRequest(string? Name, string? Avatar);

/// <summary>A member to add or remove.</summary>
public sealed record MemberRequest(string? UserId);

/// <summary>A new message (at least text or url).</summary>
public sealed record SendMessageRequest(string? Text, string? Url, string? FileName);

/// <summary>A friend request target.</summary>
public sealed record FriendRequestCreate(string? ToUserId);

/// <summary>Upload presign request.</summary>
public sealed record PresignRequest(string? Filename, string? ContentType, string? Folder);
