using System.Collections.Concurrent;

namespace Raven.Server.Auth.Internal;

/// <summary>
/// Access tokens that must stop working before they expire: those of an ended session (sign-out, by the token's
/// <c>sid</c>) and every token of a user issued before a stamp (password change). Entries live only as long as a
/// token can (JWT_MAX_TOKEN_MINUTES), so memory is bounded by the revocations of that window.
/// </summary>
/// <remarks>Kept per process. With several nodes, <see cref="Recorded"/> lets the realtime layer pass each revocation
/// to the other nodes (which <see cref="Apply"/> it); after a restart, revoked access tokens work until they expire
/// (their refresh tokens are revoked in the database, so the session cannot be extended).</remarks>
internal sealed class SessionRevocations(TimeProvider time, TimeSpan tokenLifetime)
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _endedSessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Stamp> _userStamps = new(StringComparer.Ordinal);
    private long _nextPrune;

    /// <summary>Raised, synchronously, for every revocation this node makes (not for those <see cref="Apply"/> receives).</summary>
    public event Action<Revocation>? Recorded;

    /// <summary>Tokens carrying <paramref name="sessionId"/> are invalid from now on.</summary>
    public void EndSession(string sessionId) => Record(new Revocation(sessionId, null, default, null));

    /// <summary>
    /// Tokens of <paramref name="userId"/> issued up to now are invalid, except those of <paramref name="exceptSessionId"/>
    /// (the session that replaces them). <c>iat</c> has whole seconds, so the current second counts as "before" too.
    /// </summary>
    public void RevokeIssuedBefore(string userId, string? exceptSessionId = null) =>
        Record(new Revocation(null, userId, DateTimeOffset.FromUnixTimeSeconds(time.GetUtcNow().ToUnixTimeSeconds() + 1), exceptSessionId));

    /// <summary>A revocation another node made.</summary>
    public void Apply(Revocation revocation)
    {
        if (revocation.SessionId is { } sessionId)
        {
            _endedSessions[sessionId] = time.GetUtcNow() + tokenLifetime;
        }
        else if (revocation.UserId is { } userId)
        {
            _userStamps[userId] = new Stamp(revocation.NotBefore, revocation.ExceptSessionId);
        }

        Prune();
    }

    public bool IsRevoked(string userId, string? sessionId, DateTimeOffset? issuedAt)
    {
        if (sessionId is not null && _endedSessions.ContainsKey(sessionId))
        {
            return true;
        }

        // A token without iat cannot prove it is newer than the stamp.
        return _userStamps.TryGetValue(userId, out var stamp)
            && (sessionId is null || sessionId != stamp.ExceptSessionId)
            && (issuedAt is null || issuedAt < stamp.NotBefore);
    }

    private void Record(Revocation revocation)
    {
        Apply(revocation);
        Recorded?.Invoke(revocation);
    }

    private void Prune()
    {
        var now = time.GetUtcNow();
        var next = Interlocked.Read(ref _nextPrune);
        if (now.UtcTicks < next || Interlocked.CompareExchange(ref _nextPrune, now.UtcTicks + TimeSpan.TicksPerMinute, next) != next)
        {
            return;
        }

        foreach (var (id, until) in _endedSessions)
        {
            if (until <= now)
            {
                _endedSessions.TryRemove(id, out _);
            }
        }

        foreach (var (id, stamp) in _userStamps)
        {
            if (stamp.NotBefore + tokenLifetime <= now)
            {
                _userStamps.TryRemove(id, out _);
            }
        }
    }

    private readonly record struct Stamp(DateTimeOffset NotBefore, string? ExceptSessionId);
}

/// <summary>
/// One revocation: a session's tokens (<see cref="SessionId"/>), or a user's tokens issued before
/// <see cref="NotBefore"/> except those of <see cref="ExceptSessionId"/>.
/// </summary>
internal readonly record struct Revocation(string? SessionId, string? UserId, DateTimeOffset NotBefore, string? ExceptSessionId);
