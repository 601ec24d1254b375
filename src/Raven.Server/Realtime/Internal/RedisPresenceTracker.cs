using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Raven.Server.Realtime.Internal;

/// <summary>
/// Presence shared by every node through Redis. Each node counts its own sockets per user in memory and, for each user
/// it has sockets of, keeps an entry in the user's sorted set <c>raven:presence:{userId}</c> (member: the node id,
/// score: when the entry expires). A node refreshes its entries every <see cref="HeartbeatInterval"/>; a node that dies
/// stops refreshing, so its users count as offline at most <see cref="EntryLifetime"/> later. A user is online while any
/// entry is unexpired: "came online" is the first socket in the whole cluster, "went offline" the last, so a user whose
/// tabs are on several nodes is announced once. While Redis is down each node falls back to what it knows itself, and
/// the next heartbeat after Redis is back re-creates its entries.
/// <para>Nodes also register themselves (<c>raven:presence:nodes</c>, same lifetime) with the set of their users
/// (<c>raven:presence:node:{nodeId}</c>). On every heartbeat each node sweeps: it claims a node whose registration
/// expired (one claimer wins the <c>ZREM</c>), removes that node's entries and raises <see cref="UsersTimedOut"/> for
/// the users who are thereby offline, so their friends hear about it at most lifetime + interval (20 s) after the crash.</para>
/// </summary>
internal sealed partial class RedisPresenceTracker : IPresenceTracker, IDisposable
{
    /// <summary>How often a node refreshes its users' entries.</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(5);

    /// <summary>How long an entry lives without a refresh: the bound on how long a dead node's users stay online.</summary>
    public static readonly TimeSpan EntryLifetime = TimeSpan.FromSeconds(15);

    // KEYS[1] the user's set; ARGV: node, now (ms), expiry (ms), lifetime (ms). Returns how many other nodes have the user.
    private static readonly LuaScript s_connect = LuaScript.Prepare("""
        redis.call('ZREMRANGEBYSCORE', @key, '-inf', @now)
        local others = redis.call('ZCARD', @key)
        if redis.call('ZSCORE', @key, @node) then others = others - 1 end
        redis.call('ZADD', @key, @expiry, @node)
        redis.call('PEXPIRE', @key, @lifetime)
        redis.call('SADD', @nodeUsers, @user)
        return others
        """);

    private static readonly LuaScript s_disconnect = LuaScript.Prepare("""
        redis.call('ZREM', @key, @node)
        redis.call('SREM', @nodeUsers, @user)
        redis.call('ZREMRANGEBYSCORE', @key, '-inf', @now)
        return redis.call('ZCARD', @key)
        """);

    private const string NodesKey = "raven:presence:nodes";

    private readonly IConnectionMultiplexer _redis;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly InMemoryPresenceTracker _local = new();
    private readonly string _node = Guid.NewGuid().ToString("N");
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _heartbeat;

    public RedisPresenceTracker(IConnectionMultiplexer redis, TimeProvider time, ILogger<RedisPresenceTracker> logger)
    {
        _redis = redis;
        _time = time;
        _logger = logger;
        _heartbeat = Task.Run(HeartbeatLoopAsync);
    }

    /// <summary>Raised (on a heartbeat) for users who went offline because the node that held their last sockets died.</summary>
    public event Func<string, Task>? UsersTimedOut;

    public async ValueTask<bool> SocketConnectedAsync(string userId, string socketId, DateTimeOffset now)
    {
        var firstHere = await _local.SocketConnectedAsync(userId, socketId, now);
        await SetLastSeenAsync(userId, now);
        if (!firstHere)
        {
            return false;
        }

        try
        {
            var others = (long)await _redis.GetDatabase().ScriptEvaluateAsync(s_connect, Args(userId, _node));
            return others == 0;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogUnavailable(ex);
            return true;
        }
    }

    public async ValueTask<bool> SocketDisconnectedAsync(string userId, string socketId, DateTimeOffset now)
    {
        var lastHere = await _local.SocketDisconnectedAsync(userId, socketId, now);
        await SetLastSeenAsync(userId, now);
        if (!lastHere)
        {
            return false;
        }

        try
        {
            var remaining = (long)await _redis.GetDatabase().ScriptEvaluateAsync(s_disconnect, Args(userId, _node));
            return remaining == 0;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogUnavailable(ex);
            return true;
        }
    }

    public async ValueTask TouchAsync(string userId, DateTimeOffset now)
    {
        if (_local.IsOnline(userId))
        {
            await _local.TouchAsync(userId, now);
            await SetLastSeenAsync(userId, now);
        }
    }

    public bool IsOnline(string userId)
    {
        if (_local.IsOnline(userId))
        {
            return true;
        }

        try
        {
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            return _redis.GetDatabase().SortedSetLength(UserKey(userId), now, double.PositiveInfinity, Exclude.Start) > 0;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogUnavailable(ex);
            return false;
        }
    }

    public DateTimeOffset? GetLastSeen(string userId)
    {
        try
        {
            var value = _redis.GetDatabase().StringGet(LastSeenKey(userId));
            if (value.TryParse(out long ms))
            {
                return DateTimeOffset.FromUnixTimeMilliseconds(ms);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogUnavailable(ex);
        }

        return _local.GetLastSeen(userId);
    }

    public void Dispose()
    {
        _stopping.Cancel();
        try
        {
            // A node that stops cleanly takes its users' entries with it instead of letting them expire.
            var batch = _redis.GetDatabase().CreateBatch();
            var removals = _local.OnlineUsers().Select(u => batch.SortedSetRemoveAsync(UserKey(u), _node))
                .Append(batch.SortedSetRemoveAsync(NodesKey, _node))
                .Append(batch.KeyDeleteAsync(NodeUsersKey(_node)))
                .ToArray();
            batch.Execute();
            Task.WaitAll(removals, TimeSpan.FromSeconds(2));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or AggregateException)
        {
            // Redis is gone: the entries expire by themselves.
        }
    }

    private async Task HeartbeatLoopAsync()
    {
        using var timer = new PeriodicTimer(HeartbeatInterval, _time);
        try
        {
            // Register at once: a node that dies before its first tick must still be swept.
            await RefreshAsync();
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                await RefreshAsync();
                await SweepDeadNodesAsync();
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private async Task RefreshAsync()
    {
        var users = _local.OnlineUsers();
        try
        {
            var expiry = (_time.GetUtcNow() + EntryLifetime).ToUnixTimeMilliseconds();
            var batch = _redis.GetDatabase().CreateBatch();
            var writes = new List<Task>(users.Count * 3 + 1) { batch.SortedSetAddAsync(NodesKey, _node, expiry) };
            foreach (var user in users)
            {
                writes.Add(batch.SortedSetAddAsync(UserKey(user), _node, expiry));
                writes.Add(batch.KeyExpireAsync(UserKey(user), EntryLifetime));
                // Re-adds what a restarted (empty) Redis lost.
                writes.Add(batch.SetAddAsync(NodeUsersKey(_node), user));
            }

            batch.Execute();
            await Task.WhenAll(writes);
            _unavailable = 0;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogUnavailable(ex);
        }
    }

    /// <summary>Takes over the registrations of nodes that stopped heartbeating and announces their users offline.</summary>
    private async Task SweepDeadNodesAsync()
    {
        try
        {
            var db = _redis.GetDatabase();
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            foreach (var dead in await db.SortedSetRangeByScoreAsync(NodesKey, double.NegativeInfinity, now, take: 16))
            {
                // Several nodes sweep at once; the one whose ZREM removes the entry does the work.
                if (!await db.SortedSetRemoveAsync(NodesKey, dead))
                {
                    continue;
                }

                var node = dead.ToString();
                foreach (var user in await db.SetMembersAsync(NodeUsersKey(node)))
                {
                    var userId = user.ToString();
                    var remaining = (long)await db.ScriptEvaluateAsync(s_disconnect, Args(userId, node));
                    if (remaining == 0 && !_local.IsOnline(userId) && UsersTimedOut is { } handler)
                    {
                        await handler(userId);
                    }
                }

                await db.KeyDeleteAsync(NodeUsersKey(node));
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogUnavailable(ex);
        }
    }

    private async Task SetLastSeenAsync(string userId, DateTimeOffset now)
    {
        try
        {
            await _redis.GetDatabase().StringSetAsync(LastSeenKey(userId), now.ToUnixTimeMilliseconds(), flags: CommandFlags.FireAndForget);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogUnavailable(ex);
        }
    }

    private object Args(string userId, string node)
    {
        var now = _time.GetUtcNow();
        return new
        {
            key = (RedisKey)UserKey(userId),
            nodeUsers = (RedisKey)NodeUsersKey(node),
            user = userId,
            node,
            now = now.ToUnixTimeMilliseconds(),
            expiry = (now + EntryLifetime).ToUnixTimeMilliseconds(),
            lifetime = (long)EntryLifetime.TotalMilliseconds,
        };
    }

    private int _unavailable;

    private void LogUnavailable(Exception ex)
    {
        if (Interlocked.Exchange(ref _unavailable, 1) == 0)
        {
            PresenceStoreUnavailable(_logger, ex);
        }
    }

    [LoggerMessage(130, LogLevel.Error, "Redis presence store unreachable; presence falls back to this node's own sockets until it is back")]
    private static partial void PresenceStoreUnavailable(ILogger logger, Exception exception);

    private static string UserKey(string userId) => $"raven:presence:{userId}";

    private static string NodeUsersKey(string node) => $"raven:presence:node:{node}";

    private static string LastSeenKey(string userId) => $"raven:presence:last-seen:{userId}";
}
