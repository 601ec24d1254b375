namespace Raven.Server.Realtime.Internal;

/// <summary>
/// One async lock per (conversation, user) on this node, held by a join from its membership check until its socket
/// is in the room, and by an eviction while it takes the user's sockets out. A removal commits, then evicts; the
/// eviction waits for any join that read the membership before the commit, so when the removal returns the user is
/// out and was never in the room after that. Entries exist only while someone holds or awaits them.
/// </summary>
internal sealed class MembershipGate
{
    private readonly Dictionary<(string Conversation, string User), Entry> _entries = [];

    /// <summary>Waits for the lock of <paramref name="userId"/> in <paramref name="conversationId"/>; dispose the result to release it.</summary>
    public async Task<Held> EnterAsync(string conversationId, string userId)
    {
        var key = (conversationId, userId);
        Entry entry;
        lock (_entries)
        {
            if (!_entries.TryGetValue(key, out entry!))
            {
                entry = new Entry();
                _entries[key] = entry;
            }

            entry.Users++;
        }

        await entry.Lock.WaitAsync().ConfigureAwait(false);
        return new Held(this, key, entry);
    }

    /// <summary>Takes the locks of several users of one conversation, in a fixed order so two callers cannot deadlock.</summary>
    public async Task<HeldMany> EnterAllAsync(string conversationId, IReadOnlyList<string> userIds)
    {
        var ordered = userIds.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var held = new List<Held>(ordered.Length);
        foreach (var userId in ordered)
        {
            held.Add(await EnterAsync(conversationId, userId).ConfigureAwait(false));
        }

        return new HeldMany(held);
    }

    private void Exit((string, string) key, Entry entry)
    {
        entry.Lock.Release();
        lock (_entries)
        {
            if (--entry.Users == 0)
            {
                _entries.Remove(key);
                entry.Lock.Dispose();
            }
        }
    }

    internal sealed class Entry
    {
        public SemaphoreSlim Lock { get; } = new(1, 1);

        /// <summary>Holders and waiters; guarded by the gate's dictionary lock.</summary>
        public int Users;
    }

    internal readonly struct Held(MembershipGate gate, (string, string) key, Entry entry) : IDisposable
    {
        public void Dispose() => gate.Exit(key, entry);
    }

    internal readonly struct HeldMany(List<Held> held) : IDisposable
    {
        public void Dispose()
        {
            foreach (var one in held)
            {
                one.Dispose();
            }
        }
    }
}
