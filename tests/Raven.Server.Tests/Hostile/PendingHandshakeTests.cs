using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Raven.Testing;
using Xunit.Abstractions;

namespace Raven.Server.Tests.Hostile;

/// <summary>
/// 10,000+ Engine.IO handshakes from one address (loopback, so no per-address limit applies) that never send a
/// Socket.IO CONNECT, against the real server process: the pending-session cap refuses the excess, pending sessions
/// expire, the memory they cost is bounded, and a real client gets in once they are gone.
/// </summary>
public sealed class PendingHandshakeTests(ITestOutputHelper output)
{
    private const int Handshakes = 10_500;
    private const int PendingCap = 10_000; // EngineSessionLimits.MaxPendingSessions, the server's default
    private static readonly TimeSpan PendingTimeout = TimeSpan.FromSeconds(20); // EngineSessionLimits.PendingTimeout, the default

    // Each handshake carries ~2 KiB of headers, as a browser with a few cookies does.
    private static readonly KeyValuePair<string, string>[] FatHeaders =
    [
        new("Cookie", "theme=dark; " + new string('c', 1000)),
        new("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HostileTest/1.0"),
        new("Accept-Language", "en-US,en;q=0.9"),
        new("X-Pad", new string('p', 1000)),
    ];

    [Fact]
    public async Task Ten_thousand_handshakes_that_never_connect_are_capped_then_expire_with_bounded_memory()
    {
        await using var server = await HostileServer.StartAsync();
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 32, UseCookies = false }) { Timeout = TimeSpan.FromSeconds(30) };
        var polling = new RawPolling(http, server.BaseUrl);
        for (var i = 0; i < 200; i++)
        {
            Assert.NotNull((await polling.HandshakeAsync(FatHeaders)).Sid);
        }

        await Task.Delay(PendingTimeout + TimeSpan.FromSeconds(3));
        var baseline = server.ResidentBytes();

        var statuses = new ConcurrentDictionary<HttpStatusCode, int>();
        var sids = new ConcurrentQueue<string>();
        var clock = Stopwatch.StartNew();
        var next = 0;
        await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) <= Handshakes)
            {
                var (sid, status) = await polling.HandshakeAsync(FatHeaders);
                statuses.AddOrUpdate(status, 1, static (_, n) => n + 1);
                if (sid is not null)
                {
                    sids.Enqueue(sid);
                }
            }
        })));
        var flood = clock.Elapsed;
        var peak = server.ResidentBytes();
        var accepted = sids.Count;
        var perSession = (peak - baseline) / Math.Max(1, accepted);
        output.WriteLine($"{Handshakes} handshakes in {flood.TotalSeconds:0.0} s: {string.Join(", ", statuses.Select(s => $"{(int)s.Key} x{s.Value}"))}; " +
            $"RSS {Mib.Of(baseline)} -> {Mib.Of(peak)} ({perSession / 1024.0:0.0} KiB per accepted session)");

        Assert.True(statuses.Keys.All(s => s is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable), string.Join(", ", statuses));
        if (flood < PendingTimeout)
        {
            // None had expired yet, so the cap alone decided.
            Assert.Equal(PendingCap, accepted);
        }

        // What the pending sessions may cost together: the cap times 8 KiB (they keep only what the handshake needs).
        Assert.True(peak - baseline <= PendingCap * 8L * 1024, $"{accepted} pending sessions grew RSS by {Mib.Of(peak - baseline)}");

        // A real client refused while the table is full gets in by itself once the pending sessions have expired.
        await using var node = await NodeDriver.StartAsync();
        var (_, token, _) = await server.SignUpAsync("patient");
        var client = await node.ConnectAsync(server.BaseUrl, new { auth = new { token }, transports = new[] { "polling" }, forceNew = true, reconnectionDelay = 500, reconnectionDelayMax = 1000 });
        await client.WaitForConnectAsync(PendingTimeout * 3);

        sids.TryPeek(out var first);
        Assert.Equal(HttpStatusCode.BadRequest, (await polling.PollAsync(first!, TimeSpan.FromSeconds(5)))?.Status);
        var settled = await server.WaitForResidentAtMostAsync(baseline + (64 * Mib.Bytes), TimeSpan.FromSeconds(15));
        output.WriteLine($"after expiry RSS {Mib.Of(settled)}");
        server.AssertAlive("after the handshake flood");
    }
}
