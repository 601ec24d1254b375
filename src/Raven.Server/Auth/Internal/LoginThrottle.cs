using System.Collections.Concurrent;

namespace Raven.Server.Auth.Internal;

/// <summary>
/// Failed password checks per account (sign-in by email, current-password checks by user id), from every address,
/// loopback included. After LOGIN_MAX_FAILURES failures the account is locked for LOGIN_LOCKOUT_SECONDS, doubling with
/// each further failure up to LOGIN_LOCKOUT_MAX_SECONDS; a success clears it. A locked account is refused before any
/// password hashing, so a lockout also caps the CPU one account can cost.
/// </summary>
internal sealed class LoginThrottle(RavenServerOptions options, TimeProvider time)
{
    // Bounds memory under a spray of distinct accounts; beyond it, stale entries are dropped first.
    private const int MaxEntries = 100_000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public static string SignInKey(string email) => "signin:" + email.Trim().ToLowerInvariant();

    public static string PasswordCheckKey(string userId) => "password:" + userId;

    /// <summary>How long the account is still locked, or null when a password check may proceed.</summary>
    public TimeSpan? RetryAfter(string account)
    {
        if (options.LoginMaxFailures == 0 || !_entries.TryGetValue(account, out var entry))
        {
            return null;
        }

        var wait = entry.LockedUntil - time.GetUtcNow();
        return wait > TimeSpan.Zero ? wait : null;
    }

    public void Failed(string account)
    {
        if (options.LoginMaxFailures == 0)
        {
            return;
        }

        var now = time.GetUtcNow();
        if (_entries.Count >= MaxEntries)
        {
            Prune(now);
        }

        _entries.AddOrUpdate(
            account,
            _ => Next(0, now),
            (_, entry) => Next(entry.Failures, now));
    }

    public void Succeeded(string account) => _entries.TryRemove(account, out _);

    private Entry Next(int failures, DateTimeOffset now)
    {
        failures++;
        var over = failures - options.LoginMaxFailures;
        if (over < 0)
        {
            return new Entry(failures, DateTimeOffset.MinValue, now);
        }

        var seconds = Math.Min((double)options.LoginLockoutMaxSeconds, options.LoginLockoutSeconds * Math.Pow(2, Math.Min(over, 30)));
        return new Entry(failures, now.AddSeconds(seconds), now);
    }

    private void Prune(DateTimeOffset now)
    {
        // Entries whose lock ended and whose last failure is older than the longest lockout carry no information.
        var stale = now.AddSeconds(-options.LoginLockoutMaxSeconds);
        foreach (var (key, entry) in _entries)
        {
            if (entry.LockedUntil <= now && entry.LastFailure <= stale)
            {
                _entries.TryRemove(key, out _);
            }
        }

        if (_entries.Count >= MaxEntries)
        {
            // Still full of live entries: forget the oldest unlocked ones rather than grow without bound.
            foreach (var (key, _) in _entries.Where(e => e.Value.LockedUntil <= now).OrderBy(e => e.Value.LastFailure).Take(MaxEntries / 10).ToList())
            {
                _entries.TryRemove(key, out _);
            }
        }
    }

    private readonly record struct Entry(int Failures, DateTimeOffset LockedUntil, DateTimeOffset LastFailure);
}
