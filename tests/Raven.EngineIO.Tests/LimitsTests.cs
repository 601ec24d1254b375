using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Raven.EngineIO.Tests.Infrastructure;

namespace Raven.EngineIO.Tests;

/// <summary>
/// Session admission (issue 6 #4): sessions that never become established are capped and short-lived, per-address
/// caps and handshake rates apply (loopback only when configured), and the library's meters count what happens.
/// </summary>
public sealed class LimitsTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Ten_thousand_handshakes_that_never_send_a_message_are_refused_past_the_pending_cap()
    {
        const int Handshakes = 10_000;
        const int Cap = 500;
        var handler = new CountingHandler();
        await using var host = await EngineHost.StartAsync(handler, o =>
        {
            o.PingInterval = TimeSpan.FromSeconds(30);
            o.Limits.MaxPendingSessions = Cap;
            // Long enough that none expires during the burst, so the cap alone decides.
            o.Limits.PendingTimeout = TimeSpan.FromSeconds(60);
        });
        using var client = new EioClient(host.BaseUrl);

        var statuses = new ConcurrentDictionary<HttpStatusCode, int>();
        await Parallel.ForAsync(0, Handshakes, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (_, ct) =>
        {
            var (status, _) = await client.GetAsync(client.PollingUrl(), ct);
            statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
        });

        // Exactly Cap sessions exist; the other handshakes got 503 and left nothing behind.
        Assert.Equal(Cap, statuses.GetValueOrDefault(HttpStatusCode.OK));
        Assert.Equal(Handshakes - Cap, statuses.GetValueOrDefault(HttpStatusCode.ServiceUnavailable));
        Assert.Equal(Cap, handler.Opened);
    }

    [Fact]
    public async Task A_session_established_by_its_first_message_outlives_the_pending_timeout()
    {
        var handler = new RecordingHandler();
        await using var host = await EngineHost.StartAsync(handler, o =>
        {
            o.PingInterval = TimeSpan.FromSeconds(30);
            o.Limits.PendingTimeout = TimeSpan.FromSeconds(2); // the second handshake and its first message must land inside it, even cold
        });
        using var client = new EioClient(host.BaseUrl);
        var (idle, _) = await client.HandshakeAsync();
        var (talking, _) = await client.HandshakeAsync();
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(talking, "4hello")).Status);

        Assert.Equal("transport close", await handler.ClosedReason(idle).WaitAsync(Wait));
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.True(handler.Connection(talking).IsConnected);
        Assert.Equal((HttpStatusCode.OK, "4hello"), await client.PollAsync(talking));
    }

    [Fact]
    public async Task Without_first_message_establishment_only_MarkEstablished_keeps_a_session()
    {
        var handler = new RecordingHandler
        {
            OnText = (connection, text) =>
            {
                if (text == "connect")
                {
                    connection.MarkEstablished();
                }

                return ValueTask.CompletedTask;
            },
        };
        await using var host = await EngineHost.StartAsync(handler, o =>
        {
            o.PingInterval = TimeSpan.FromSeconds(30);
            o.Limits.PendingTimeout = TimeSpan.FromSeconds(2); // the second handshake and its first message must land inside it, even cold
            o.Limits.EstablishOnFirstMessage = false;
        });
        using var client = new EioClient(host.BaseUrl);
        var (chatty, _) = await client.HandshakeAsync();
        var (connected, _) = await client.HandshakeAsync();
        await client.SendAsync(chatty, "4not a connect");
        await client.SendAsync(connected, "4connect");

        Assert.Equal("transport close", await handler.ClosedReason(chatty).WaitAsync(Wait));
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.True(handler.Connection(connected).IsConnected);
    }

    [Fact]
    public async Task The_global_session_cap_refuses_further_handshakes_with_503()
    {
        await using var host = await EngineHost.StartAsync(new RecordingHandler(), o =>
        {
            o.PingInterval = TimeSpan.FromSeconds(30);
            o.Limits.MaxSessions = 3;
        });
        using var client = new EioClient(host.BaseUrl);
        for (var i = 0; i < 3; i++)
        {
            await client.HandshakeAsync();
        }

        var (status, body) = await client.GetAsync(client.PollingUrl());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("\"code\":3", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Per_address_caps_skip_loopback_by_default()
    {
        await using var host = await EngineHost.StartAsync(new RecordingHandler(), o =>
        {
            o.PingInterval = TimeSpan.FromSeconds(30);
            o.Limits.MaxSessionsPerAddress = 2;
            o.Limits.HandshakesPerSecondPerAddress = 1;
            o.Limits.HandshakeBurstPerAddress = 1;
        });
        using var client = new EioClient(host.BaseUrl);
        for (var i = 0; i < 6; i++)
        {
            await client.HandshakeAsync();
        }
    }

    [Fact]
    public async Task Per_address_session_cap_applies_to_loopback_when_configured_and_frees_on_close()
    {
        var handler = new RecordingHandler();
        await using var host = await EngineHost.StartAsync(handler, o =>
        {
            o.PingInterval = TimeSpan.FromSeconds(30);
            o.Limits.MaxSessionsPerAddress = 2;
            o.Limits.ApplyToLoopback = true;
        });
        using var client = new EioClient(host.BaseUrl);
        var (first, _) = await client.HandshakeAsync();
        await client.HandshakeAsync();

        var (status, _) = await client.GetAsync(client.PollingUrl());
        Assert.Equal(HttpStatusCode.TooManyRequests, status);

        await client.SendAsync(first, "1");
        await handler.ClosedReason(first).WaitAsync(Wait);
        await WaitUntilAsync(async () => (await client.GetAsync(client.PollingUrl())).Status == HttpStatusCode.OK);
    }

    [Fact]
    public async Task Handshake_rate_per_address_refuses_once_the_burst_is_spent()
    {
        await using var host = await EngineHost.StartAsync(new RecordingHandler(), o =>
        {
            o.PingInterval = TimeSpan.FromSeconds(30);
            o.Limits.HandshakesPerSecondPerAddress = 1;
            o.Limits.HandshakeBurstPerAddress = 3;
            o.Limits.ApplyToLoopback = true;
        });
        using var client = new EioClient(host.BaseUrl);
        var accepted = 0;
        for (var i = 0; i < 50; i++)
        {
            var (status, _) = await client.GetAsync(client.PollingUrl());
            if (status == HttpStatusCode.TooManyRequests)
            {
                break;
            }

            Assert.Equal(HttpStatusCode.OK, status);
            accepted++;
        }

        // The burst of 3, plus whatever the bucket refilled (1/s) while the requests ran; never all 50.
        Assert.InRange(accepted, 3, 49);
    }

    [Fact]
    public async Task Meters_count_sessions_by_transport_upgrades_packets_and_refusals()
    {
        await using var host = await EngineHost.StartAsync(new RecordingHandler(), o =>
        {
            o.PingInterval = TimeSpan.FromSeconds(30);
            o.Limits.MaxSessions = 2;
        });
        var factory = host.Services.GetRequiredService<IMeterFactory>();
        var values = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Raven.EngineIO" && instrument.Meter.Scope == factory)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var key = instrument.Name;
            foreach (var tag in tags)
            {
                if (tag.Key == "engineio.transport")
                {
                    key += "/" + tag.Value;
                }
            }

            values.AddOrUpdate(key, value, (_, v) => v + value);
        });
        listener.Start();

        using var client = new EioClient(host.BaseUrl);
        var (sid, _) = await client.HandshakeAsync();
        await client.SendAsync(sid, "4ping me");
        Assert.Equal((HttpStatusCode.OK, "4ping me"), await client.PollAsync(sid));
        using (var upgrade = await client.ConnectWebSocketAsync(sid))
        {
            await Ws.SendTextAsync(upgrade, "2probe");
            await Ws.ReceiveAsync(upgrade);
            await Ws.SendTextAsync(upgrade, "5");
            await WaitUntilAsync(() => values.GetValueOrDefault("raven.engineio.upgrades") == 1);
            var (ws, _, _) = await client.WebSocketHandshakeAsync();
            using (ws)
            {
                // Both sessions are live, so a third is refused.
                Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync(client.PollingUrl())).Status);
            }
        }

        await WaitUntilAsync(() => values.GetValueOrDefault("raven.engineio.sessions/websocket") == 0);
        Assert.Equal(0, values.GetValueOrDefault("raven.engineio.sessions/polling"));
        Assert.True(values.GetValueOrDefault("raven.engineio.packets.received") >= 1);
        Assert.True(values.GetValueOrDefault("raven.engineio.packets.sent") >= 1);
        Assert.True(values.GetValueOrDefault("raven.engineio.bytes.received") >= "4ping me".Length);
        Assert.Equal(1, values.GetValueOrDefault("raven.engineio.handshakes.refused"));
    }

    private static Task WaitUntilAsync(Func<bool> condition) => WaitUntilAsync(() => Task.FromResult(condition()));

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(50);
        }
    }

    /// <summary>Counts sessions without keeping them, so that ten thousand of them cost the test nothing.</summary>
    private sealed class CountingHandler : IEngineIOHandler
    {
        private int _opened;

        public int Opened => Volatile.Read(ref _opened);

        public ValueTask OnConnectedAsync(IEngineConnection connection)
        {
            Interlocked.Increment(ref _opened);
            return ValueTask.CompletedTask;
        }

        public ValueTask OnTextAsync(IEngineConnection connection, System.Buffers.ReadOnlySequence<byte> utf8) => ValueTask.CompletedTask;

        public ValueTask OnBinaryAsync(IEngineConnection connection, System.Buffers.ReadOnlySequence<byte> data) => ValueTask.CompletedTask;

        public ValueTask OnClosedAsync(IEngineConnection connection, string reason) => ValueTask.CompletedTask;
    }
}
