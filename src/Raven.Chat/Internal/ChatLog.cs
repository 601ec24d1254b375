using Microsoft.Extensions.Logging;

namespace Raven.Chat.Internal;

internal static partial class ChatLog
{
    [LoggerMessage(1, LogLevel.Information, "Chat database schema migrated to version {Version}.")]
    public static partial void SchemaMigrated(ILogger logger, int version);

    [LoggerMessage(2, LogLevel.Information, "User {UserId} registered.")]
    public static partial void UserRegistered(ILogger logger, string userId);

    [LoggerMessage(3, LogLevel.Information, "Password hash of user {UserId} upgraded on sign-in.")]
    public static partial void PasswordRehashed(ILogger logger, string userId);

    [LoggerMessage(4, LogLevel.Debug, "Conversation {ConversationId} ({Type}) created by {UserId}.")]
    public static partial void ConversationCreated(ILogger logger, string conversationId, ConversationType type, string userId);

    [LoggerMessage(5, LogLevel.Debug, "Conversation {ConversationId} deleted by {UserId}.")]
    public static partial void ConversationDeleted(ILogger logger, string conversationId, string userId);

    [LoggerMessage(6, LogLevel.Debug, "Ownership of conversation {ConversationId} passed from {OldOwnerId} to {NewOwnerId}.")]
    public static partial void OwnershipTransferred(ILogger logger, string conversationId, string oldOwnerId, string newOwnerId);

    [LoggerMessage(7, LogLevel.Debug, "Friend request {RequestId} accepted; direct conversation {ConversationId}.")]
    public static partial void FriendRequestAccepted(ILogger logger, string requestId, string conversationId);
}
