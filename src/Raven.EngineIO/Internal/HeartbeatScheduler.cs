using System.Diagnostics;

namespace Raven.EngineIO.Internal;

/// <summary>
/// One timer for every session of an endpoint (pings, pong deadlines, the pending-session lifetime) instead of a
/// loop, delays and a TaskCompletionSource per session. A hashed timer wheel: each session sits in the slot of
/// the tick at which it next needs attention, one periodic timer advances tick by tick (catching up when it runs
/// late) and asks each due session what to do; the session answers with its next due time.
/// </summary>
/// <remarks>
/// A session is rescheduled earlier by adding a second entry and recording the new tick on the session; an entry
/// whose tick no longer matches the session's is stale and dropped when its slot comes round, so a session is
/// live in exactly one entry. Entries further ahead than one revolution stay in their slot until their tick.
/// </remarks>
internal sealed class HeartbeatScheduler : IDisposable
{
    private const int SlotCount = 1024;
    private const int SlotMask = SlotCount - 1;

    private readonly long _tickLength;
    private readonly List<Entry>[] _slots = new List<Entry>[SlotCount];
    private readonly object _lock = new();
    private readonly PeriodicTimer _timer;
    private List<Entry> _spare = [];
    private long _processedTick;

    public HeartbeatScheduler(TimeSpan resolution)
    {
        _tickLength = Math.Max(1, (long)(resolution.TotalSeconds * Stopwatch.Frequency));
        for (var i = 0; i < SlotCount; i++)
        {
            _slots[i] = [];
        }

        _processedTick = Stopwatch.GetTimestamp() / _tickLength;
        _timer = new PeriodicTimer(resolution);
        _ = RunAsync();
    }

    /// <summary>A resolution fine enough for the shortest of the periods (a fortieth), between 1 and 100 ms.</summary>
    public static TimeSpan ResolutionFor(params ReadOnlySpan<TimeSpan> periods)
    {
        var shortest = TimeSpan.MaxValue;
        foreach (var period in periods)
        {
            shortest = period < shortest ? period : shortest;
        }

        var ms = Math.Clamp(shortest.TotalMilliseconds / 40, 1, 100);
        return TimeSpan.FromMilliseconds(ms);
    }

    /// <summary>Asks for <see cref="EngineSession.OnHeartbeat"/> at <paramref name="due"/> (a Stopwatch timestamp).</summary>
    public void Schedule(EngineSession session, long due)
    {
        lock (_lock)
        {
            var tick = Math.Max(CeilingTick(due), _processedTick + 1);
            session.WheelTick = tick;
            _slots[tick & SlotMask].Add(new Entry(session, tick));
        }
    }

    /// <summary>Moves the session's attention earlier if <paramref name="due"/> comes before its current entry.</summary>
    public void ScheduleEarlier(EngineSession session, long due)
    {
        lock (_lock)
        {
            var tick = Math.Max(CeilingTick(due), _processedTick + 1);
            if (tick < session.WheelTick)
            {
                session.WheelTick = tick;
                _slots[tick & SlotMask].Add(new Entry(session, tick));
            }
        }
    }

    public void Dispose() => _timer.Dispose();

    private long CeilingTick(long timestamp) => (timestamp + _tickLength - 1) / _tickLength;

    private async Task RunAsync()
    {
        try
        {
            while (await _timer.WaitForNextTickAsync().ConfigureAwait(false))
            {
                Advance(Stopwatch.GetTimestamp());
            }
        }
        catch (ObjectDisposedException)
        {
            // The endpoint was disposed.
        }
    }

    private void Advance(long now)
    {
        var nowTick = now / _tickLength;
        while (true)
        {
            List<Entry> due;
            long tick;
            lock (_lock)
            {
                if (_processedTick >= nowTick)
                {
                    return;
                }

                tick = ++_processedTick;
                var slot = tick & SlotMask;
                due = _slots[slot];
                if (due.Count == 0)
                {
                    continue;
                }

                _slots[slot] = _spare;
                _spare = null!;
                // Entries for a later revolution go straight back.
                foreach (var entry in due)
                {
                    if (entry.Tick > tick)
                    {
                        _slots[slot].Add(entry);
                    }
                }
            }

            foreach (var entry in due)
            {
                if (entry.Tick != tick || entry.Session.WheelTick != tick)
                {
                    continue;
                }

                var next = entry.Session.OnHeartbeat(now);
                if (next > 0)
                {
                    Schedule(entry.Session, next);
                }
            }

            due.Clear();
            lock (_lock)
            {
                _spare = due;
            }
        }
    }

    private readonly record struct Entry(EngineSession Session, long Tick);
}
