using Raven.Server.Realtime.Internal;

namespace Raven.Server.Tests.Realtime;

/// <summary>The in-process presence tracker: first/last socket detection, also under concurrency.</summary>
public sealed class PresenceTrackerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task First_connect_and_last_disconnect_are_reported_once_per_user()
    {
        var tracker = new InMemoryPresenceTracker();
        Assert.False(tracker.IsOnline("u"));
        Assert.Null(tracker.GetLastSeen("u"));

        Assert.True(await tracker.SocketConnectedAsync("u", "s1", T0));
        Assert.False(await tracker.SocketConnectedAsync("u", "s2", T0));
        Assert.False(await tracker.SocketConnectedAsync("u", "s2", T0)); // the same socket twice changes nothing
        Assert.True(tracker.IsOnline("u"));
        Assert.False(tracker.IsOnline("other"));

        await tracker.TouchAsync("u", T0.AddSeconds(30));
        Assert.Equal(T0.AddSeconds(30), tracker.GetLastSeen("u"));

        Assert.False(await tracker.SocketDisconnectedAsync("u", "s1", T0.AddMinutes(1)));
        Assert.False(await tracker.SocketDisconnectedAsync("u", "unknown", T0.AddMinutes(1)));
        Assert.True(tracker.IsOnline("u"));
        Assert.True(await tracker.SocketDisconnectedAsync("u", "s2", T0.AddMinutes(2)));
        Assert.False(await tracker.SocketDisconnectedAsync("u", "s2", T0.AddMinutes(3)));
        Assert.False(tracker.IsOnline("u"));
        Assert.Equal(T0.AddMinutes(2), tracker.GetLastSeen("u"));

        // A heartbeat racing the last disconnect does not bring the user back.
        await tracker.TouchAsync("u", T0.AddMinutes(5));
        Assert.False(tracker.IsOnline("u"));
        Assert.Equal(T0.AddMinutes(2), tracker.GetLastSeen("u"));
    }

    [Fact]
    public async Task Concurrent_tabs_report_exactly_one_online_and_one_offline_transition()
    {
        var tracker = new InMemoryPresenceTracker();
        const int Tabs = 64;
        var firsts = await Task.WhenAll(Enumerable.Range(0, Tabs).Select(i => Task.Run(async () => await tracker.SocketConnectedAsync("u", $"s{i}", T0))));
        Assert.Single(firsts, f => f);
        var lasts = await Task.WhenAll(Enumerable.Range(0, Tabs).Select(i => Task.Run(async () => await tracker.SocketDisconnectedAsync("u", $"s{i}", T0))));
        Assert.Single(lasts, l => l);
        Assert.False(tracker.IsOnline("u"));
    }
}
