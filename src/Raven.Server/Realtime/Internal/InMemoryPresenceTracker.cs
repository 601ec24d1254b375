namespace Raven.Server.Realtime.Internal;

/// <summary>Presence of one node, in process memory. One lock: connects and disconnects are rare next to messages.</summary>
internal sealed class InMemoryPresenceTracker : IPresenceTracker
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, HashSet<string>> _sockets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _lastSeen = new(StringComparer.Ordinal);

    public ValueTask<bool> SocketConnectedAsync(string userId, string socketId, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (!_sockets.TryGetValue(userId, out var sockets))
            {
                sockets = new HashSet<string>(StringComparer.Ordinal);
                _sockets[userId] = sockets;
            }

            _lastSeen[userId] = now;
            return ValueTask.FromResult(sockets.Add(socketId) && sockets.Count == 1);
        }
    }

    public ValueTask<bool> SocketDisconnectedAsync(string userId, string socketId, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (!_sockets.TryGetValue(userId, out var sockets) || !sockets.Remove(socketId))
            {
                return ValueTask.FromResult(false);
            }

            _lastSeen[userId] = now;
            if (sockets.Count > 0)
            {
                return ValueTask.FromResult(false);
            }

            _sockets.Remove(userId);
            return ValueTask.FromResult(true);
        }
    }

    public ValueTask TouchAsync(string userId, DateTimeOffset now)
    {
        lock (_gate)
        {
            // Only online users have a live last-seen; a stray heartbeat after the last disconnect must not resurrect one.
            if (_sockets.ContainsKey(userId))
            {
                _lastSeen[userId] = now;
            }
        }

        return ValueTask.CompletedTask;
    }

    public bool IsOnline(string userId)
    {
        lock (_gate)
        {
            return _sockets.ContainsKey(userId);
        }
    }

    /// <summary>The users with at least one socket on this node (a snapshot).</summary>
    public IReadOnlyCollection<string> OnlineUsers()
    {
        lock (_gate)
        {
            return [.. _sockets.Keys];
        }
    }

    public DateTimeOffset? GetLastSeen(string userId)
    {
        lock (_gate)
        {
            return _lastSeen.TryGetValue(userId, out var at) ? at : null;
        }
    }
}

/// <summary>The REST view of presence (GET /friends/online-status) over whichever tracker is registered.</summary>
internal sealed class TrackerPresenceService(IPresenceTracker tracker) : IPresenceService
{
    public bool IsOnline(string userId) => tracker.IsOnline(userId);
}
