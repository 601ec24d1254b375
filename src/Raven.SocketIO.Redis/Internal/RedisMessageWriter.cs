using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Raven.SocketIO.Adapter;

namespace Raven.SocketIO.Redis.Internal;

/// <summary>
/// Writes every message a Raven server publishes to Redis, in the wire format of <c>@socket.io/redis-adapter</c> 8.x
/// (so Node servers and <c>@socket.io/redis-emitter</c> interoperate). The format, in full:
/// <para><b>Broadcast</b> (channel <c>{prefix}#{nsp}#</c>, or <c>{prefix}#{nsp}#{room}#</c> when exactly one room is
/// targeted), MessagePack as notepack.io writes it:
/// <c>[uid, {type: 2, data: [event, ...args], nsp}, {rooms: [...], except: [...], flags: {volatile?, timeout?}}]</c>.
/// Binary arguments are MessagePack <c>bin</c> values inside <c>data</c>: no placeholders, no attachments.
/// A server ignores messages carrying its own <c>uid</c>.</para>
/// <para><b>Requests</b> (channel <c>{prefix}-request#{nsp}#</c>), JSON objects with <c>uid</c>, <c>type</c> and,
/// when an answer is expected, <c>requestId</c>:
/// 0 SOCKETS <c>{rooms}</c> → <c>{requestId, sockets: [id]}</c>;
/// 1 ALL_ROOMS → <c>{requestId, rooms}</c>;
/// 2 REMOTE_JOIN / 3 REMOTE_LEAVE <c>{opts: {rooms, except}, rooms}</c> (or the legacy <c>{sid, room}</c> → <c>{requestId}</c>);
/// 4 REMOTE_DISCONNECT <c>{opts, close}</c>;
/// 5 REMOTE_FETCH <c>{opts}</c> → <c>{requestId, sockets: [{id, handshake, rooms, data}]}</c> with a Node-shaped handshake;
/// 6 SERVER_SIDE_EMIT <c>{data: [event, ...args]}</c>, with <c>requestId</c> when the sender wants acks → <c>{type: 6, requestId, data}</c> on the common response channel.
/// The one MessagePack request is 7 BROADCAST (a broadcast with acks):
/// <c>{uid, requestId, type: 7, packet: {type: 2, data, nsp, id}, opts}</c>; each receiving server answers with the JSON
/// <c>{type: 8, requestId, clientCount}</c> once, then one MessagePack <c>{type: 9, requestId, packet: firstAckArgument}</c> per
/// client acknowledgement. A reader tells the two encodings apart by the first byte: <c>{</c> is JSON.</para>
/// <para><b>Responses</b> go to <c>{prefix}-response#{nsp}#</c> (or the requester's <c>{prefix}-response#{nsp}#{uid}#</c>
/// with <c>PublishOnSpecificResponseChannel</c>). How many servers answer is learnt from <c>PUBSUB NUMSUB</c> on the request channel.</para>
/// </summary>
internal static class RedisMessageWriter
{
    private static readonly JsonWriterOptions s_json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    /// <summary><c>[uid, packet, opts]</c> for a plain broadcast.</summary>
    public static byte[] Broadcast(string uid, string nsp, EncodedPacket packet, BroadcastOptions options)
    {
        var buffer = new ArrayBufferWriter<byte>(packet.Text.Length + 64);
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(3);
        writer.WriteString(uid);
        WritePacket(ref writer, nsp, packet, includeId: false);
        WriteOptions(ref writer, options);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Request 7: a broadcast whose recipients acknowledge.</summary>
    public static byte[] BroadcastWithAck(string uid, string requestId, string nsp, EncodedPacket packet, BroadcastOptions options)
    {
        var buffer = new ArrayBufferWriter<byte>(packet.Text.Length + 96);
        var writer = new MessagePackWriter(buffer);
        writer.WriteMapHeader(5);
        writer.WriteString("uid");
        writer.WriteString(uid);
        writer.WriteString("requestId");
        writer.WriteString(requestId);
        writer.WriteString("type");
        writer.WriteInteger((int)RedisRequestType.Broadcast);
        writer.WriteString("packet");
        WritePacket(ref writer, nsp, packet, includeId: true);
        writer.WriteString("opts");
        WriteOptions(ref writer, options);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Response 9: one client's acknowledgement (its first argument, like Node's ack callback receives).</summary>
    public static byte[] BroadcastAck(string requestId, EncodedPacket ackPacket)
    {
        var buffer = new ArrayBufferWriter<byte>(ackPacket.Text.Length + 48);
        var writer = new MessagePackWriter(buffer);
        using var args = ParseArguments(ackPacket);
        var hasArgument = args is not null && args.RootElement.ValueKind == JsonValueKind.Array && args.RootElement.GetArrayLength() > 0;
        // notepack.io drops undefined properties: an acknowledgement without arguments has no "packet".
        writer.WriteMapHeader(hasArgument ? 3 : 2);
        writer.WriteString("type");
        writer.WriteInteger((int)RedisRequestType.BroadcastAck);
        writer.WriteString("requestId");
        writer.WriteString(requestId);
        if (hasArgument)
        {
            writer.WriteString("packet");
            JsonMessagePackTranscoder.WriteJson(ref writer, args!.RootElement[0], ackPacket.Attachments);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Request 6: <c>{uid, requestId?, type: 6, data: [event, ...args]}</c> (binary arguments do not travel in JSON).</summary>
    public static byte[] ServerSideEmit(string uid, string? requestId, EncodedPacket packet)
    {
        if (!SocketPacketText.TryParse(packet.Text, out _, out _, out var data))
        {
            throw new ArgumentException("A server-side emit is an EVENT packet.", nameof(packet));
        }

        return Json(RedisRequestType.ServerSideEmit, uid, requestId, json =>
        {
            json.WritePropertyName("data");
            json.WriteRawValue(data.Span, skipInputValidation: true);
        });
    }

    /// <summary>
    /// The answer to a server-side emit with acks: <c>{requestId, type: 6, data}</c>, <c>data</c> being the first
    /// argument of the ACK packet (none: no <c>data</c>, as JSON.stringify drops undefined).
    /// </summary>
    public static byte[] ServerSideEmitAck(string requestId, EncodedPacket ackPacket)
    {
        using var args = ParseArguments(ackPacket);
        return Json(RedisRequestType.ServerSideEmit, null, requestId, json =>
        {
            if (args is not null && args.RootElement.ValueKind == JsonValueKind.Array && args.RootElement.GetArrayLength() > 0)
            {
                json.WritePropertyName("data");
                args.RootElement[0].WriteTo(json);
            }
        });
    }

    /// <summary>A JSON request or response: <paramref name="fields"/> writes the properties besides the common ones.</summary>
    public static byte[] Json(RedisRequestType? type, string? uid, string? requestId, Action<Utf8JsonWriter>? fields = null)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var json = new Utf8JsonWriter(buffer, s_json))
        {
            json.WriteStartObject();
            if (uid is not null)
            {
                json.WriteString("uid", uid);
            }

            if (requestId is not null)
            {
                json.WriteString("requestId", requestId);
            }

            if (type is { } t)
            {
                json.WriteNumber("type", (int)t);
            }

            fields?.Invoke(json);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The <c>opts</c> of a JSON request: <c>{rooms, except}</c>.</summary>
    public static void WriteTarget(Utf8JsonWriter json, BroadcastOptions options)
    {
        json.WriteStartObject("opts");
        WriteStrings(json, "rooms", options.Rooms);
        WriteStrings(json, "except", options.Except.Distinct(StringComparer.Ordinal));
        json.WriteEndObject();
    }

    public static void WriteStrings(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }

    /// <summary>A socket as REMOTE_FETCH answers it: <c>{id, handshake, rooms, data}</c> with Node's handshake fields.</summary>
    public static void WriteSocket(Utf8JsonWriter json, RemoteSocket socket, JsonSerializerOptions options)
    {
        json.WriteStartObject();
        json.WriteString("id", socket.Id);
        WriteHandshake(json, socket.Handshake);
        WriteStrings(json, "rooms", socket.Rooms);
        json.WritePropertyName("data");
        JsonSerializer.Serialize(json, socket.Data, options);
        json.WriteEndObject();
    }

    /// <summary>The JSON array of a packet's arguments (<c>[event, ...args]</c> for an event), or null if it has none.</summary>
    public static JsonDocument? ParseArguments(EncodedPacket packet) =>
        SocketPacketText.TryParse(packet.Text, out _, out _, out var json) && !json.IsEmpty ? JsonDocument.Parse(json) : null;

    private static void WriteHandshake(Utf8JsonWriter json, SocketHandshake handshake)
    {
        json.WriteStartObject("handshake");
        json.WriteStartObject("headers");
        foreach (var (name, value) in handshake.Headers)
        {
            json.WriteString(name.ToLowerInvariant(), value);
        }

        json.WriteEndObject();
        var time = handshake.Time.ToUniversalTime();
        // Date.prototype.toString() of a server running in UTC, which is what Node puts here.
        json.WriteString("time", time.ToString("ddd MMM dd yyyy HH:mm:ss 'GMT+0000 (Coordinated Universal Time)'", CultureInfo.InvariantCulture));
        json.WriteString("address", handshake.Address);
        json.WriteBoolean("xdomain", handshake.Headers.ContainsKey("origin"));
        json.WriteBoolean("secure", handshake.Secure);
        json.WriteNumber("issued", time.ToUnixTimeMilliseconds());
        json.WriteString("url", handshake.Url);
        json.WriteStartObject("query");
        foreach (var (name, value) in handshake.Query)
        {
            json.WriteString(name, value);
        }

        json.WriteEndObject();
        json.WritePropertyName("auth");
        handshake.Auth.WriteTo(json);
        json.WriteEndObject();
    }

    private static void WritePacket(ref MessagePackWriter writer, string nsp, EncodedPacket packet, bool includeId)
    {
        if (!SocketPacketText.TryParse(packet.Text, out var type, out var ackId, out var json))
        {
            throw new ArgumentException("Only EVENT and ACK packets travel between servers.", nameof(packet));
        }

        using var data = JsonDocument.Parse(json);
        var withId = includeId && ackId >= 0;
        writer.WriteMapHeader(withId ? 4 : 3);
        writer.WriteString("type");
        writer.WriteInteger(type);
        writer.WriteString("data");
        JsonMessagePackTranscoder.WriteJson(ref writer, data.RootElement, packet.Attachments);
        writer.WriteString("nsp");
        writer.WriteString(nsp);
        if (withId)
        {
            writer.WriteString("id");
            writer.WriteInteger(ackId);
        }
    }

    private static void WriteOptions(ref MessagePackWriter writer, BroadcastOptions options)
    {
        writer.WriteMapHeader(3);
        writer.WriteString("rooms");
        WriteStrings(ref writer, options.Rooms);
        writer.WriteString("except");
        WriteStrings(ref writer, options.Except.Distinct(StringComparer.Ordinal).ToArray());
        writer.WriteString("flags");
        var flags = options.Flags;
        writer.WriteMapHeader((flags.Volatile ? 1 : 0) + (flags.Timeout is null ? 0 : 1));
        if (flags.Volatile)
        {
            writer.WriteString("volatile");
            writer.WriteBoolean(true);
        }

        if (flags.Timeout is { } timeout)
        {
            writer.WriteString("timeout");
            writer.WriteNumber(Math.Round(timeout.TotalMilliseconds));
        }
    }

    private static void WriteStrings(ref MessagePackWriter writer, IReadOnlyCollection<string> values)
    {
        writer.WriteArrayHeader(values.Count);
        foreach (var value in values)
        {
            writer.WriteString(value);
        }
    }
}
