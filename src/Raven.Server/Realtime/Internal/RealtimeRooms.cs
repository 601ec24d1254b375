namespace Raven.Server.Realtime.Internal;

/// <summary>The one place room names are built. A conversation's room is its id (24 hex), so the two never collide.</summary>
internal static class RealtimeRooms
{
    private const string UserPrefix = "user:";

    /// <summary>Every socket of a user (several tabs or devices).</summary>
    public static string User(string userId) => UserPrefix + userId;

    /// <summary>Every socket authenticated by one session (refresh family), so ending it disconnects exactly those.</summary>
    public static string Session(string sessionId) => "session:" + sessionId;

    /// <summary>Sockets that joined a conversation.</summary>
    public static string Conversation(string conversationId) => conversationId;
}
