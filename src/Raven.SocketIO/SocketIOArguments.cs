using System.Text.Json;
using Raven.SocketIO.Internal;
using Raven.SocketIO.Protocol;

namespace Raven.SocketIO;

/// <summary>
/// Arguments received from a client (an event's arguments after its name, or an acknowledgement's).
/// They stay as the client's raw JSON until read; binary values arrive as attachments.
/// </summary>
public class SocketIOArguments
{
    private readonly SocketPacket _packet;
    private readonly JsonSerializerOptions _options;

    internal SocketIOArguments(SocketPacket packet, JsonSerializerOptions options)
    {
        _packet = packet;
        _options = options;
    }

    /// <summary>The number of arguments.</summary>
    public int Count => _packet.Args.Length;

    /// <summary>The binary attachments, in placeholder order.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Attachments => _packet.Attachments;

    /// <summary>Argument <paramref name="index"/> as its exact JSON text (UTF-8); binary values show as placeholders.</summary>
    public ReadOnlyMemory<byte> GetRaw(int index)
    {
        var slice = _packet.Args[index];
        return _packet.Payload.AsMemory(slice.Start, slice.Length);
    }

    /// <summary>Binds argument <paramref name="index"/> with System.Text.Json; <c>byte[]</c> members receive attachments.</summary>
    /// <exception cref="JsonException">The JSON does not fit <typeparamref name="T"/>.</exception>
    public T? Get<T>(int index)
    {
        var slice = _packet.Args[index];
        var previous = BinaryContext.Incoming;
        BinaryContext.Incoming = _packet.Attachments;
        try
        {
            return JsonSerializer.Deserialize<T>(_packet.Payload.AsSpan(slice.Start, slice.Length), _options);
        }
        finally
        {
            BinaryContext.Incoming = previous;
        }
    }

    /// <summary>
    /// Binds argument <paramref name="index"/> without throwing (socketioxide's <c>TryData</c>): false when it is
    /// missing or does not fit <typeparamref name="T"/>, with the reason in <paramref name="error"/>.
    /// </summary>
    public bool TryGet<T>(int index, out T? value, out string? error)
    {
        value = default;
        if ((uint)index >= (uint)Count)
        {
            error = $"Argument {index + 1} is missing.";
            return false;
        }

        try
        {
            value = Get<T>(index);
            error = null;
            return true;
        }
        catch (JsonException ex)
        {
            error = ex.Message;
            return false;
        }
    }

    /// <summary>Argument <paramref name="index"/> as a <see cref="JsonElement"/> (a copy; placeholders stay objects).</summary>
    public JsonElement GetElement(int index)
    {
        var slice = _packet.Args[index];
        var reader = new Utf8JsonReader(_packet.Payload.AsSpan(slice.Start, slice.Length));
        return JsonElement.ParseValue(ref reader);
    }

    /// <summary>Whether argument <paramref name="index"/> is a binary value, and its bytes.</summary>
    public bool TryGetBinary(int index, out ReadOnlyMemory<byte> data)
    {
        var slice = _packet.Args[index];
        foreach (var p in _packet.Placeholders)
        {
            if (p.Start == slice.Start && p.Length == slice.Length)
            {
                data = _packet.Attachments[p.Num];
                return true;
            }
        }

        data = default;
        return false;
    }

    /// <summary>
    /// The arguments ready to pass to <c>Emit</c> again unchanged: binary values as <see cref="ReadOnlyMemory{T}"/>,
    /// everything else as <see cref="RawJson"/> (the exact text, with nested binary values carried along).
    /// </summary>
    public object?[] ToArray()
    {
        var result = new object?[Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = TryGetBinary(i, out var data) ? data : GetRawJson(i);
        }

        return result;
    }

    /// <summary>Argument <paramref name="index"/> as <see cref="RawJson"/>.</summary>
    public RawJson GetRawJson(int index)
    {
        var slice = _packet.Args[index];
        List<PlaceholderRef>? inner = null;
        foreach (var p in _packet.Placeholders)
        {
            if (p.Start >= slice.Start && p.Start < slice.Start + slice.Length)
            {
                (inner ??= []).Add(p with { Start = p.Start - slice.Start });
            }
        }

        return new RawJson(_packet.Payload.AsMemory(slice.Start, slice.Length), inner?.ToArray() ?? [], _packet.Attachments);
    }

    internal SocketPacket Packet => _packet;
}

/// <summary>An event received from a client, as the raw-form <c>On</c> handlers see it.</summary>
public sealed class SocketIOEvent : SocketIOArguments
{
    internal SocketIOEvent(SocketIOSocket socket, SocketPacket packet, JsonSerializerOptions options)
        : base(packet, options)
    {
        Socket = socket;
        Name = packet.EventName!;
        AckCallback = packet.AckId >= 0 ? new SocketAck(socket, packet.AckId) : null;
    }

    /// <summary>The socket the event arrived on.</summary>
    public SocketIOSocket Socket { get; }

    /// <summary>The event name.</summary>
    public string Name { get; }

    /// <summary>The acknowledgement the client asked for, or null.</summary>
    public SocketAck? AckCallback { get; }

    /// <summary>Whether the client asked for an acknowledgement.</summary>
    public bool HasAck => AckCallback is not null;

    /// <summary>Acknowledges the event with <paramref name="args"/>; false if no ack was requested or it was already sent.</summary>
    public bool Ack(params object?[] args) => AckCallback?.Send(args) ?? false;
}

/// <summary>The acknowledgement callback of one client event; it can be sent once.</summary>
public sealed class SocketAck
{
    private readonly SocketIOSocket _socket;
    private int _sent;

    internal SocketAck(SocketIOSocket socket, long id)
    {
        _socket = socket;
        Id = id;
    }

    /// <summary>The ack id the client chose.</summary>
    public long Id { get; }

    /// <summary>Sends the acknowledgement (BINARY_ACK when an argument is binary); false if already sent or disconnected.</summary>
    public bool Send(params object?[] args)
    {
        if (Interlocked.Exchange(ref _sent, 1) != 0)
        {
            return false;
        }

        return _socket.SendAck(Id, args);
    }
}
