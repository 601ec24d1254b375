using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;

namespace Raven.EngineIO.Internal;

/// <summary>Engine.IO v4 packet types as their wire characters.</summary>
internal static class PacketType
{
    public const byte Open = (byte)'0';
    public const byte Close = (byte)'1';
    public const byte Ping = (byte)'2';
    public const byte Pong = (byte)'3';
    public const byte Message = (byte)'4';
    public const byte Upgrade = (byte)'5';
    public const byte Noop = (byte)'6';
    /// <summary>Polling only: a binary message as <c>b</c> + base64.</summary>
    public const byte Base64Binary = (byte)'b';
    /// <summary>Separates packets in a polling payload.</summary>
    public const byte RecordSeparator = 0x1e;
}

/// <summary>Request error codes and messages, as the Node.js engine.io server sends them.</summary>
internal static class EngineError
{
    public const int TransportUnknown = 0;
    public const int UnknownSid = 1;
    public const int BadHandshakeMethod = 2;
    public const int BadRequest = 3;
    public const int Forbidden = 4;
    public const int UnsupportedProtocolVersion = 5;

    public static string MessageOf(int code) => code switch
    {
        TransportUnknown => "Transport unknown",
        UnknownSid => "Session ID unknown",
        BadHandshakeMethod => "Bad handshake method",
        BadRequest => "Bad request",
        Forbidden => "Forbidden",
        UnsupportedProtocolVersion => "Unsupported protocol version",
        _ => "Bad request",
    };

    public static void Write(IBufferWriter<byte> output, int code, string message)
    {
        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        json.WriteNumber("code"u8, code);
        json.WriteString("message"u8, message);
        json.WriteEndObject();
    }
}

/// <summary>Writes and reads Engine.IO packets; pure functions over buffers, no I/O.</summary>
internal static class EngineProtocol
{
    /// <summary>Writes the open packet: <c>0</c> followed by exactly the five handshake keys.</summary>
    public static void WriteOpen(IBufferWriter<byte> output, string sid, bool offerWebSocketUpgrade, EngineIOOptions options)
    {
        output.GetSpan(1)[0] = PacketType.Open;
        output.Advance(1);
        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        json.WriteString("sid"u8, sid);
        json.WriteStartArray("upgrades"u8);
        if (offerWebSocketUpgrade)
        {
            json.WriteStringValue("websocket"u8);
        }

        json.WriteEndArray();
        json.WriteNumber("pingInterval"u8, (long)options.PingInterval.TotalMilliseconds);
        json.WriteNumber("pingTimeout"u8, (long)options.PingTimeout.TotalMilliseconds);
        json.WriteNumber("maxPayload"u8, options.MaxHttpBufferSize);
        json.WriteEndObject();
    }

    /// <summary>
    /// Splits the next packet off a polling payload (packets are separated by 0x1e). An empty packet, such as
    /// after a trailing separator, is returned as such: it is invalid, as in the Node parser.
    /// </summary>
    public static ReadOnlySequence<byte> TakePacket(ref ReadOnlySequence<byte> remaining, out bool last)
    {
        var separator = remaining.PositionOf(PacketType.RecordSeparator);
        if (separator is null)
        {
            var packet = remaining;
            remaining = default;
            last = true;
            return packet;
        }

        var taken = remaining.Slice(0, separator.Value);
        remaining = remaining.Slice(remaining.GetPosition(1, separator.Value));
        last = false;
        return taken;
    }

    /// <summary>Whether <paramref name="bytes"/> are valid UTF-8 (a multi-segment sequence is checked as one run).</summary>
    public static bool IsValidUtf8(in ReadOnlySequence<byte> bytes)
    {
        if (bytes.IsSingleSegment)
        {
            return System.Text.Unicode.Utf8.IsValid(bytes.FirstSpan);
        }

        // Segment boundaries may split a character, so the segments cannot be checked one by one.
        var length = checked((int)bytes.Length);
        var contiguous = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            bytes.CopyTo(contiguous);
            return System.Text.Unicode.Utf8.IsValid(contiguous.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(contiguous);
        }
    }

    /// <summary>
    /// Decodes a polling <c>b</c>+base64 packet's data (without the <c>b</c>) into a rented buffer.
    /// Returns false for invalid base64. The caller returns <paramref name="rented"/> to the shared pool.
    /// </summary>
    public static bool TryDecodeBase64(ReadOnlySequence<byte> base64, out byte[] rented, out int length)
    {
        byte[]? contiguous = null;
        ReadOnlySpan<byte> source;
        if (base64.IsSingleSegment)
        {
            source = base64.FirstSpan;
        }
        else
        {
            contiguous = ArrayPool<byte>.Shared.Rent((int)base64.Length);
            base64.CopyTo(contiguous);
            source = contiguous.AsSpan(0, (int)base64.Length);
        }

        try
        {
            rented = ArrayPool<byte>.Shared.Rent(Math.Max(1, Base64.GetMaxDecodedFromUtf8Length(source.Length)));
            var status = Base64.DecodeFromUtf8(source, rented, out var consumed, out length);
            if (status != OperationStatus.Done || consumed != source.Length)
            {
                ArrayPool<byte>.Shared.Return(rented);
                rented = [];
                length = 0;
                return false;
            }

            return true;
        }
        finally
        {
            if (contiguous is not null)
            {
                ArrayPool<byte>.Shared.Return(contiguous);
            }
        }
    }
}
