using System.Diagnostics.Metrics;
using Raven.SocketIO.Protocol;

namespace Raven.SocketIO.Internal;

/// <summary>
/// The library's instruments on the meter <c>Raven.SocketIO</c> (<see cref="MeterName"/>), created through the host's
/// <see cref="IMeterFactory"/> when there is one. Tags are cached per packet type so recording allocates nothing.
/// </summary>
internal sealed class SocketIOMetrics
{
    public const string MeterName = "Raven.SocketIO";

    private static readonly KeyValuePair<string, object?>[] TypeTags = BuildTypeTags();

    private readonly UpDownCounter<long> _sockets;
    private readonly Counter<long> _packetsIn;
    private readonly Counter<long> _packetsOut;
    private readonly Counter<long> _broadcasts;
    private readonly Counter<long> _recipients;
    private readonly Counter<long> _ackTimeouts;
    private readonly Counter<long> _inboundQueueFull;

    public SocketIOMetrics(IMeterFactory? factory)
    {
        var meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        _sockets = meter.CreateUpDownCounter<long>("socketio.sockets", "{socket}", "Sockets connected to a namespace on this server.");
        _packetsIn = meter.CreateCounter<long>("socketio.packets.received", "{packet}", "Socket.IO packets received from clients, by type.");
        _packetsOut = meter.CreateCounter<long>("socketio.packets.sent", "{packet}", "Socket.IO packets queued to clients, by type (a broadcast counts once per recipient).");
        _broadcasts = meter.CreateCounter<long>("socketio.broadcasts", "{broadcast}", "Broadcasts delivered by this server's adapters.");
        _recipients = meter.CreateCounter<long>("socketio.broadcast.recipients", "{socket}", "Local sockets a broadcast was queued on.");
        _ackTimeouts = meter.CreateCounter<long>("socketio.ack.timeouts", "{ack}", "Server-to-client acknowledgements that timed out.");
        _inboundQueueFull = meter.CreateCounter<long>("socketio.inbound.queue_full", "{event}", "Times a connection's inbound queue filled and reading from it paused.");
    }

    public void SocketConnected(string nsp) => _sockets.Add(1, new KeyValuePair<string, object?>("socketio.namespace", nsp));

    public void SocketDisconnected(string nsp) => _sockets.Add(-1, new KeyValuePair<string, object?>("socketio.namespace", nsp));

    public void PacketIn(SocketPacketType type) => _packetsIn.Add(1, TypeTags[(int)type]);

    public void PacketOut(SocketPacketType type, int count = 1) => _packetsOut.Add(count, TypeTags[(int)type]);

    public void Broadcast(SocketPacketType type, int recipients)
    {
        _broadcasts.Add(1);
        _recipients.Add(recipients);
        _packetsOut.Add(recipients, TypeTags[(int)type]);
    }

    public void AckTimeout() => _ackTimeouts.Add(1);

    public void InboundQueueFull() => _inboundQueueFull.Add(1);

    private static KeyValuePair<string, object?>[] BuildTypeTags()
    {
        string[] names = ["connect", "disconnect", "event", "ack", "connect_error", "binary_event", "binary_ack"];
        var tags = new KeyValuePair<string, object?>[names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            tags[i] = new KeyValuePair<string, object?>("socketio.packet.type", names[i]);
        }

        return tags;
    }
}
