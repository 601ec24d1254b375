using System.Text.Json;
using Raven.SocketIO.Adapter;
using Raven.SocketIO.Protocol;

namespace Raven.SocketIO;

/// <summary>
/// An event another server sent with <see cref="SocketNamespace.ServerSideEmitAsync"/> or
/// <see cref="SocketNamespace.ServerSideEmitWithAckAsync(string, object?[])"/>. When the sender waits for answers
/// (<see cref="HasAck"/>), one <see cref="Ack(object?)"/> answers for this server; like Node's callback, only the
/// first answer of all this server's handlers counts.
/// </summary>
public sealed class ServerSideEvent : SocketIOArguments
{
    private readonly string _nsp;
    private readonly JsonSerializerOptions _options;
    private readonly Action<EncodedPacket>? _reply;
    private int _answered;

    internal ServerSideEvent(SocketPacket packet, string nsp, JsonSerializerOptions options, Action<EncodedPacket>? reply)
        : base(packet, options)
    {
        Name = packet.EventName!;
        _nsp = nsp;
        _options = options;
        _reply = reply;
    }

    /// <summary>The event name.</summary>
    public string Name { get; }

    /// <summary>Whether the sending server waits for this server's answer.</summary>
    public bool HasAck => _reply is not null;

    /// <summary>Answers with <paramref name="value"/> (JSON); false if no answer was asked for or one was already given.</summary>
    public bool Ack(object? value) => Answer([value]);

    /// <summary>Answers without a value; false if no answer was asked for or one was already given.</summary>
    public bool Ack() => Answer([]);

    private bool Answer(ReadOnlySpan<object?> args)
    {
        if (_reply is null || Interlocked.Exchange(ref _answered, 1) != 0)
        {
            return false;
        }

        _reply(SocketPacketWriter.EncodeAck(_nsp, 0, args, _options));
        return true;
    }
}
