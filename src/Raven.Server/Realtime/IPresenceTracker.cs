namespace Raven.Server.Realtime;

/// <summary>
/// Which users have connected sockets, counted per socket so a user with several tabs or devices stays online
/// until the last one closes. The in-process default serves one node; a shared store (e.g. Redis) can replace it
/// for several nodes by registering its own implementation before the server is built.
/// </summary>
public interface IPresenceTracker
{
    /// <summary>Records a connected socket; true when it is the user's first one (the user just came online).</summary>
    ValueTask<bool> SocketConnectedAsync(string userId, string socketId, DateTimeOffset now);

    /// <summary>Forgets a socket; true when it was the user's last one (the user just went offline).</summary>
    ValueTask<bool> SocketDisconnectedAsync(string userId, string socketId, DateTimeOffset now);

    /// <summary>Refreshes the user's last-seen time (the client's <c>heartbeat</c>).</summary>
    ValueTask TouchAsync(string userId, DateTimeOffset now);

    /// <summary>True while the user has at least one connected socket.</summary>
    bool IsOnline(string userId);

    /// <summary>When the user was last seen (connect, heartbeat or disconnect); null if never since start-up.</summary>
    DateTimeOffset? GetLastSeen(string userId);
}
