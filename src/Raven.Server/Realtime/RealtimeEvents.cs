namespace Raven.Server.Realtime;

/// <summary>Event names and error codes of the chat's Socket.IO contract (docs/websocket-events.md).</summary>
public static class RealtimeEvents
{
    // Client to server.
    public const string JoinConversation = "join_conversation";
    public const string LeaveConversation = "leave_conversation";
    public const string SendMessage = "send_message";
    public const string Heartbeat = "heartbeat";

    // Server to client.
    public const string JoinedConversation = "joined_conversation";
    public const string UserJoined = "user_joined";
    public const string LeftConversation = "left_conversation";
    public const string UserLeft = "user_left";
    public const string NewMessage = "new_message";
    public const string MessageDeleted = "message_deleted";
    public const string FriendStatusChanged = "friend_status_changed";
    public const string Error = "error";

    // Error codes (connect_error messages and error event codes).
    public const string AuthenticationRequired = "AUTHENTICATION_REQUIRED";
    public const string InvalidToken = "INVALID_TOKEN";
    public const string TokenExpired = "TOKEN_EXPIRED";
    public const string JoinFailed = "JOIN_FAILED";
    public const string LeaveFailed = "LEAVE_FAILED";
    public const string SendMessageFailed = "SEND_MESSAGE_FAILED";
    public const string PermissionDenied = "PERMISSION_DENIED";
    public const string InternalError = "INTERNAL_ERROR";
    public const string RateLimited = "RATE_LIMITED";
    public const string TooManySockets = "TOO_MANY_SOCKETS";
}
