using Raven.Chat;

namespace Raven.Server;

/// <summary>
/// Tells connected clients about changes made through REST, so a message sent over HTTP reaches sockets exactly
/// like one sent over Socket.IO. The default does nothing; the realtime layer registers the real one.
/// </summary>
public interface IChatNotifier
{
    /// <summary>A message was stored (broadcast <c>new_message</c>).</summary>
    Task MessageCreated(Message message);

    /// <summary>A message was deleted by its sender (broadcast <c>message_deleted</c>).</summary>
    Task MessageDeleted(Message message);

    /// <summary>
    /// These users are no longer participants (removed, left, or the conversation was deleted): their sockets must
    /// stop hearing the conversation's room.
    /// </summary>
    Task MembershipEnded(string conversationId, IReadOnlyList<string> userIds) => Task.CompletedTask;

    /// <summary>
    /// A session ended (sign-out): disconnect the sockets authenticated by it; all of the user's when
    /// <paramref name="sessionId"/> is null (tokens without a session id).
    /// </summary>
    Task SessionEnded(string userId, string? sessionId) => Task.CompletedTask;

    /// <summary>Every session of the user ended (password change): disconnect their sockets, except those of <paramref name="exceptSessionId"/>.</summary>
    Task UserSessionsEnded(string userId, string? exceptSessionId) => Task.CompletedTask;
}

/// <summary>Who is online right now. The default says nobody; the realtime layer registers the real one.</summary>
public interface IPresenceService
{
    /// <summary>True when the user has at least one connected socket.</summary>
    bool IsOnline(string userId);
}
