using Microsoft.Extensions.Options;

namespace Raven.Server.Realtime.Internal;

/// <summary>
/// What one user may cost the realtime layer: at most MAX_SOCKETS_PER_USER sockets on this node, and events through
/// two token buckets, one per socket (SOCKET_EVENTS_PER_SECOND / SOCKET_EVENT_BURST) and one per user over all their
/// sockets (USER_EVENTS_PER_SECOND / USER_EVENT_BURST). SOCKET_RATE_LIMIT_DISCONNECT_AFTER refused events in a row
/// mean persistent abuse: the socket is disconnected.
/// </summary>
internal sealed class SocketAbuseGuard(IOptions<RavenServerOptions> options, TimeProvider time)
{
    private readonly RavenServerOptions _options = options.Value;
    private readonly Dictionary<string, UserBudget> _users = new(StringComparer.Ordinal);

    /// <summary>False when the user already has the maximum number of sockets on this node.</summary>
    public bool MayConnect(string userId)
    {
        if (_options.MaxSocketsPerUser == 0)
        {
            return true;
        }

        lock (_users)
        {
            return !_users.TryGetValue(userId, out var budget) || budget.Sockets < _options.MaxSocketsPerUser;
        }
    }

    /// <summary>Counts a connected socket and hands it its own event bucket.</summary>
    public TokenBucket Connected(string userId)
    {
        lock (_users)
        {
            if (!_users.TryGetValue(userId, out var budget))
            {
                budget = new UserBudget(new TokenBucket(_options.UserEventsPerSecond, _options.UserEventBurst, time));
                _users[userId] = budget;
            }

            budget.Sockets++;
        }

        return new TokenBucket(_options.SocketEventsPerSecond, _options.SocketEventBurst, time);
    }

    public void Disconnected(string userId)
    {
        lock (_users)
        {
            if (_users.TryGetValue(userId, out var budget) && --budget.Sockets <= 0)
            {
                _users.Remove(userId);
            }
        }
    }

    /// <summary>Takes one event from the socket's and the user's bucket; false when either is empty.</summary>
    public bool TryAdmit(SocketUser user)
    {
        if (!user.Events.TryTake())
        {
            return false;
        }

        UserBudget? budget;
        lock (_users)
        {
            _users.TryGetValue(user.UserId, out budget);
        }

        return budget is null || budget.Events.TryTake();
    }

    /// <summary>Refused events in a row after which the socket is disconnected.</summary>
    public int DisconnectAfter => _options.SocketRateLimitDisconnectAfter;

    private sealed class UserBudget(TokenBucket events)
    {
        public TokenBucket Events { get; } = events;

        public int Sockets { get; set; }
    }
}

/// <summary>A token bucket: <c>burst</c> tokens, refilled at <c>perSecond</c>; thread-safe.</summary>
/// <remarks>Locks on itself (internal and sealed, so nothing else can): every socket has one, and a separate lock
/// object would add 40 bytes per connection.</remarks>
internal sealed class TokenBucket(double perSecond, int burst, TimeProvider time)
{
    private double _tokens = burst;
    private long _last = time.GetTimestamp();

    public bool TryTake()
    {
        lock (this)
        {
            var now = time.GetTimestamp();
            _tokens = Math.Min(burst, _tokens + (time.GetElapsedTime(_last, now).TotalSeconds * perSecond));
            _last = now;
            if (_tokens < 1)
            {
                return false;
            }

            _tokens -= 1;
            return true;
        }
    }
}
