using System.Collections.Concurrent;
using System.Net;
using System.Runtime.CompilerServices;
using System.Threading.RateLimiting;

namespace Raven.EngineIO.Internal;

/// <summary>Why a handshake was refused by <see cref="SessionAdmission"/>.</summary>
internal enum Refusal
{
    None,
    TooManySessions,
    TooManyPending,
    TooManyForAddress,
    HandshakeRate,
}

/// <summary>
/// The session limits of one endpoint (<see cref="EngineSessionLimits"/>): a global cap, a cap on pending
/// sessions, per-address live-session counts and a per-address token bucket for handshakes (the platform's
/// <see cref="PartitionedRateLimiter"/>). Loopback and unknown addresses skip the per-address limits unless
/// configured otherwise.
/// </summary>
internal sealed class SessionAdmission : IDisposable
{
    private readonly EngineSessionLimits _limits;
    private readonly ConcurrentDictionary<IPAddress, StrongBox<int>> _perAddress = new();
    private readonly PartitionedRateLimiter<IPAddress>? _handshakes;
    private int _pending;

    public SessionAdmission(EngineSessionLimits limits)
    {
        _limits = limits;
        if (limits.HandshakesPerSecondPerAddress > 0)
        {
            var options = new TokenBucketRateLimiterOptions
            {
                TokenLimit = Math.Max(limits.HandshakeBurstPerAddress, limits.HandshakesPerSecondPerAddress),
                TokensPerPeriod = limits.HandshakesPerSecondPerAddress,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            };
            _handshakes = PartitionedRateLimiter.Create<IPAddress, IPAddress>(
                address => RateLimitPartition.GetTokenBucketLimiter(address, _ => options));
        }
    }

    public int PendingCount => Volatile.Read(ref _pending);

    /// <summary>
    /// Admits a new session or says why not. On success <paramref name="addressKey"/> is what the session hands
    /// back to <see cref="Release"/> when it is removed (null when no per-address limit applies).
    /// </summary>
    public Refusal TryAdmit(IPAddress? remote, int liveSessions, out object? addressKey)
    {
        addressKey = null;
        if (_limits.MaxSessions > 0 && liveSessions >= _limits.MaxSessions)
        {
            return Refusal.TooManySessions;
        }

        if (_limits.MaxPendingSessions > 0 && PendingCount >= _limits.MaxPendingSessions)
        {
            return Refusal.TooManyPending;
        }

        var address = Normalize(remote);
        if (address is not null)
        {
            if (_handshakes is not null)
            {
                using var lease = _handshakes.AttemptAcquire(address);
                if (!lease.IsAcquired)
                {
                    return Refusal.HandshakeRate;
                }
            }

            if (_limits.MaxSessionsPerAddress > 0)
            {
                var count = _perAddress.GetOrAdd(address, static _ => new StrongBox<int>());
                if (Interlocked.Increment(ref count.Value) > _limits.MaxSessionsPerAddress)
                {
                    ReleaseCount(count, address);
                    return Refusal.TooManyForAddress;
                }

                addressKey = new AddressCount(address, count);
            }
        }

        // The check above only saves work when the cap is plainly reached; the slot itself is taken here, atomically
        // (like the per-address count), so concurrent handshakes that all saw one free slot cannot all take it.
        if (Interlocked.Increment(ref _pending) > _limits.MaxPendingSessions && _limits.MaxPendingSessions > 0)
        {
            Interlocked.Decrement(ref _pending);
            Release(addressKey);
            addressKey = null;
            return Refusal.TooManyPending;
        }

        return Refusal.None;
    }

    /// <summary>A session admitted by <see cref="TryAdmit"/> left the table.</summary>
    public void Release(object? addressKey)
    {
        if (addressKey is AddressCount key)
        {
            ReleaseCount(key.Count, key.Address);
        }
    }

    /// <summary>A pending session was established or closed.</summary>
    public void PendingEnded() => Interlocked.Decrement(ref _pending);

    public void Dispose() => _handshakes?.Dispose();

    private void ReleaseCount(StrongBox<int> count, IPAddress address)
    {
        if (Interlocked.Decrement(ref count.Value) <= 0)
        {
            // A racing admission may still take this box after removal; it then counts on a box nobody else finds,
            // which undercounts that address by one for a moment. The cap is a bound on abuse, not an exact quota.
            _perAddress.TryRemove(new KeyValuePair<IPAddress, StrongBox<int>>(address, count));
        }
    }

    private IPAddress? Normalize(IPAddress? remote)
    {
        if (remote is null)
        {
            return null;
        }

        if (remote.IsIPv4MappedToIPv6)
        {
            remote = remote.MapToIPv4();
        }

        return IPAddress.IsLoopback(remote) && !_limits.ApplyToLoopback ? null : remote;
    }

    private sealed record AddressCount(IPAddress Address, StrongBox<int> Count);
}
