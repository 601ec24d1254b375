using System.Diagnostics.Metrics;

namespace Raven.EngineIO;

/// <summary>
/// The instruments of meter <c>Raven.EngineIO</c> (export them with OpenTelemetry's <c>AddMeter("Raven.EngineIO")</c>).
/// Created through <see cref="IMeterFactory"/> when the app has one, so each host gets its own meter.
/// </summary>
internal sealed class EngineIOMetrics
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "Raven.EngineIO";

    private static readonly KeyValuePair<string, object?> PollingTag = new("engineio.transport", "polling");
    private static readonly KeyValuePair<string, object?> WebSocketTag = new("engineio.transport", "websocket");

    private readonly UpDownCounter<long> _sessions;
    private readonly Counter<long> _upgrades;
    private readonly Counter<long> _packetsIn;
    private readonly Counter<long> _packetsOut;
    private readonly Counter<long> _bytesIn;
    private readonly Counter<long> _bytesOut;
    private readonly Counter<long> _sendQueueDrops;
    private readonly Counter<long> _slowConsumerCloses;
    private readonly Counter<long> _handshakesRefused;

    public EngineIOMetrics(IMeterFactory? factory)
    {
        var meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        _sessions = meter.CreateUpDownCounter<long>("raven.engineio.sessions", "{session}", "Live Engine.IO sessions, by transport.");
        _upgrades = meter.CreateCounter<long>("raven.engineio.upgrades", "{upgrade}", "Polling sessions upgraded to WebSocket.");
        _packetsIn = meter.CreateCounter<long>("raven.engineio.packets.received", "{packet}", "Engine.IO packets received.");
        _packetsOut = meter.CreateCounter<long>("raven.engineio.packets.sent", "{packet}", "Engine.IO packets sent.");
        _bytesIn = meter.CreateCounter<long>("raven.engineio.bytes.received", "By", "Engine.IO payload bytes received.");
        _bytesOut = meter.CreateCounter<long>("raven.engineio.bytes.sent", "By", "Engine.IO payload bytes sent.");
        _sendQueueDrops = meter.CreateCounter<long>("raven.engineio.send_queue.drops", "{message}", "Volatile messages dropped because a send queue was full.");
        _slowConsumerCloses = meter.CreateCounter<long>("raven.engineio.slow_consumer.closes", "{session}", "Sessions closed because their send queue was full.");
        _handshakesRefused = meter.CreateCounter<long>("raven.engineio.handshakes.refused", "{handshake}", "Handshakes refused by a session limit, by reason.");
    }

    public void SessionOpened(bool webSocket) => _sessions.Add(1, webSocket ? WebSocketTag : PollingTag);

    public void SessionClosed(bool webSocket) => _sessions.Add(-1, webSocket ? WebSocketTag : PollingTag);

    public void Upgraded()
    {
        _upgrades.Add(1);
        _sessions.Add(-1, PollingTag);
        _sessions.Add(1, WebSocketTag);
    }

    public void Received(int packets, long bytes)
    {
        if (_packetsIn.Enabled)
        {
            _packetsIn.Add(packets);
        }

        if (_bytesIn.Enabled)
        {
            _bytesIn.Add(bytes);
        }
    }

    public void Sent(int packets, long bytes)
    {
        if (_packetsOut.Enabled)
        {
            _packetsOut.Add(packets);
        }

        if (_bytesOut.Enabled)
        {
            _bytesOut.Add(bytes);
        }
    }

    public void Dropped(int messages) => _sendQueueDrops.Add(messages);

    public void SlowConsumerClosed() => _slowConsumerCloses.Add(1);

    public void HandshakeRefused(string reason) => _handshakesRefused.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
