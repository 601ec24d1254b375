using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Raven.SocketIO.Adapter;
using Raven.SocketIO.Internal;

namespace Raven.SocketIO.Protocol;

/// <summary>
/// Encodes Socket.IO v5 packets. The JSON part goes through a per-thread <see cref="Utf8JsonWriter"/> onto a
/// pooled buffer; the attachment count it discovers then goes into the header, and Engine.IO's <c>4</c>, the
/// header and the JSON are copied once into the array the <see cref="EncodedPacket"/> keeps and every transport sends.
/// </summary>
internal static class SocketPacketWriter
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    [ThreadStatic]
    private static PooledBufferWriter? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    [ThreadStatic]
    private static List<ReadOnlyMemory<byte>>? t_attachments;

    public static EncodedPacket EncodeEvent(string nsp, string eventName, ReadOnlySpan<object?> args, long ackId, JsonSerializerOptions options)
        => Encode(SocketPacketType.Event, nsp, ackId, eventName, args, options);

    public static EncodedPacket EncodeAck(string nsp, long ackId, ReadOnlySpan<object?> args, JsonSerializerOptions options)
        => Encode(SocketPacketType.Ack, nsp, ackId, eventName: null, args, options);

    public static EncodedPacket EncodeConnect(string nsp, string sid)
    {
        var (buffer, writer) = Rent();
        try
        {
            writer.WriteStartObject();
            writer.WriteString("sid"u8, sid);
            writer.WriteEndObject();
            writer.Flush();
            return Finish(SocketPacketType.Connect, nsp, -1, 0, buffer.WrittenSpan, []);
        }
        finally
        {
            Return(buffer, writer);
        }
    }

    public static EncodedPacket EncodeConnectError(string nsp, string message, object? data, JsonSerializerOptions options)
    {
        var (buffer, writer) = Rent();
        try
        {
            writer.WriteStartObject();
            writer.WriteString("message"u8, message);
            if (data is not null)
            {
                writer.WritePropertyName("data"u8);
                WriteValue(writer, data, options);
            }

            writer.WriteEndObject();
            writer.Flush();
            return Finish(SocketPacketType.ConnectError, nsp, -1, 0, buffer.WrittenSpan, []);
        }
        finally
        {
            Return(buffer, writer);
        }
    }

    public static EncodedPacket EncodeDisconnect(string nsp) => Finish(SocketPacketType.Disconnect, nsp, -1, 0, [], []);

    /// <summary>
    /// Writes the packet header <c>&lt;type&gt;[&lt;n&gt;-][&lt;nsp&gt;,][&lt;ackId&gt;]</c>; the namespace only when it isn't "/".
    /// </summary>
    public static void WriteHeader(IBufferWriter<byte> output, SocketPacketType type, int attachments, string nsp, long ackId)
    {
        var span = output.GetSpan(MaxHeaderLength(nsp));
        var written = WriteHeader(span, type, attachments, nsp, ackId);
        output.Advance(written);
    }

    private static EncodedPacket Encode(SocketPacketType type, string nsp, long ackId, string? eventName, ReadOnlySpan<object?> args, JsonSerializerOptions options)
    {
        var (buffer, writer) = Rent();
        var attachments = t_attachments ?? [];
        t_attachments = null;
        var previous = BinaryContext.Outgoing;
        BinaryContext.Outgoing = attachments;
        try
        {
            writer.WriteStartArray();
            if (eventName is not null)
            {
                writer.WriteStringValue(eventName);
            }

            foreach (var arg in args)
            {
                WriteValue(writer, arg, options);
            }

            writer.WriteEndArray();
            writer.Flush();

            var binary = attachments.Count > 0;
            var finalType = (type, binary) switch
            {
                (SocketPacketType.Event, true) => SocketPacketType.BinaryEvent,
                (SocketPacketType.Ack, true) => SocketPacketType.BinaryAck,
                _ => type,
            };
            return Finish(finalType, nsp, ackId, attachments.Count, buffer.WrittenSpan, binary ? attachments.ToArray() : []);
        }
        finally
        {
            BinaryContext.Outgoing = previous;
            attachments.Clear();
            t_attachments = attachments;
            Return(buffer, writer);
        }
    }

    private static void WriteValue(Utf8JsonWriter writer, object? value, JsonSerializerOptions options)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case string s:
                writer.WriteStringValue(s);
                break;
            case int i:
                writer.WriteNumberValue(i);
                break;
            case long l:
                writer.WriteNumberValue(l);
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case RawJson raw:
                WriteRaw(writer, raw);
                break;
            case JsonElement element:
                element.WriteTo(writer);
                break;
            case byte[] bytes:
                AddAttachment(writer, bytes);
                break;
            case ReadOnlyMemory<byte> rom:
                AddAttachment(writer, rom);
                break;
            case Memory<byte> mem:
                AddAttachment(writer, mem);
                break;
            case ArraySegment<byte> seg:
                AddAttachment(writer, seg);
                break;
            default:
                JsonSerializer.Serialize(writer, value, value.GetType(), options);
                break;
        }
    }

    private static void AddAttachment(Utf8JsonWriter writer, ReadOnlyMemory<byte> data)
    {
        var outgoing = BinaryContext.Outgoing;
        if (outgoing is null)
        {
            writer.WriteBase64StringValue(data.Span);
            return;
        }

        outgoing.Add(data);
        BinaryContext.WritePlaceholder(writer, outgoing.Count - 1);
    }

    private static void WriteRaw(Utf8JsonWriter writer, RawJson raw)
    {
        if (raw.Placeholders.Length == 0 || BinaryContext.Outgoing is not { } outgoing)
        {
            writer.WriteRawValue(raw.Utf8.Span, skipInputValidation: true);
            return;
        }

        // A received value with placeholders: keep its text, renumber the placeholders for this packet.
        var source = raw.Utf8.Span;
        var rebuilt = new ArrayBufferWriter<byte>(source.Length + 16);
        var position = 0;
        foreach (var p in raw.Placeholders)
        {
            rebuilt.Write(source[position..p.Start]);
            outgoing.Add(raw.Attachments[p.Num]);
            WritePlaceholderText(rebuilt, outgoing.Count - 1);
            position = p.Start + p.Length;
        }

        rebuilt.Write(source[position..]);
        writer.WriteRawValue(rebuilt.WrittenSpan, skipInputValidation: true);
    }

    private static void WritePlaceholderText(IBufferWriter<byte> output, int num)
    {
        output.Write("{\"_placeholder\":true,\"num\":"u8);
        var span = output.GetSpan(11);
        Utf8Formatter.TryFormat(num, span, out var n);
        output.Advance(n);
        output.Write("}"u8);
    }

    private static EncodedPacket Finish(SocketPacketType type, string nsp, long ackId, int attachmentCount, ReadOnlySpan<byte> json, ReadOnlyMemory<byte>[] attachments)
    {
        Span<byte> header = stackalloc byte[256];
        var max = MaxHeaderLength(nsp);
        var headerSpan = max <= header.Length ? header : new byte[max];
        var headerLength = WriteHeader(headerSpan, type, attachmentCount, nsp, ackId);

        // Byte 0 is Engine.IO's message type, so the transports send this array as it is.
        var bytes = new byte[1 + headerLength + json.Length];
        bytes[0] = (byte)'4';
        headerSpan[..headerLength].CopyTo(bytes.AsSpan(1));
        json.CopyTo(bytes.AsSpan(1 + headerLength));
        return EncodedPacket.FromPrefixed(bytes, attachments);
    }

    private static int MaxHeaderLength(string nsp) => 1 + 11 + 1 + Encoding.UTF8.GetMaxByteCount(nsp.Length) + 1 + 20;

    private static int WriteHeader(Span<byte> span, SocketPacketType type, int attachments, string nsp, long ackId)
    {
        var n = 0;
        span[n++] = (byte)('0' + (int)type);
        if (type is SocketPacketType.BinaryEvent or SocketPacketType.BinaryAck)
        {
            Utf8Formatter.TryFormat(attachments, span[n..], out var w);
            n += w;
            span[n++] = (byte)'-';
        }

        if (nsp != "/")
        {
            n += Encoding.UTF8.GetBytes(nsp, span[n..]);
            span[n++] = (byte)',';
        }

        if (ackId >= 0)
        {
            Utf8Formatter.TryFormat(ackId, span[n..], out var w);
            n += w;
        }

        return n;
    }

    private static (PooledBufferWriter Buffer, Utf8JsonWriter Writer) Rent()
    {
        var buffer = t_buffer ?? new PooledBufferWriter();
        t_buffer = null;
        var writer = t_writer;
        t_writer = null;
        if (writer is null)
        {
            writer = new Utf8JsonWriter(buffer, WriterOptions);
        }
        else
        {
            writer.Reset(buffer);
        }

        return (buffer, writer);
    }

    private static void Return(PooledBufferWriter buffer, Utf8JsonWriter writer)
    {
        // Reset drops any half-written state left by a serializer exception.
        writer.Reset();
        buffer.Reset();
        t_buffer = buffer;
        t_writer = writer;
    }
}
