using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;

namespace Raven.SocketIO.Protocol;

/// <summary>
/// Decodes Socket.IO v5 text packets: <c>&lt;type&gt;[&lt;n&gt;-][&lt;nsp&gt;,][&lt;ackId&gt;][JSON]</c>.
/// Strict by design: anything the reference parser would reject, and a few things it merely tolerates
/// (junk before the payload, non-string event names), fail, and the caller closes the connection.
/// </summary>
internal static class SocketPacketParser
{
    /// <summary>
    /// The ceiling for packets from trusted sources (other servers' adapters). Client packets are held to the
    /// much smaller <see cref="SocketIOOptions.MaxAttachments"/>.
    /// </summary>
    public const int MaxAttachments = 1000;

    [ThreadStatic]
    private static List<JsonSlice>? t_args;

    [ThreadStatic]
    private static List<PlaceholderRef>? t_placeholders;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static readonly string[] ReservedEvents =
        ["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"];

    public static bool TryParse(ReadOnlySequence<byte> input, [NotNullWhen(true)] out SocketPacket? packet)
        => TryParse(input, MaxAttachments, out packet);

    /// <summary>Parses one packet; announcing more than <paramref name="maxAttachments"/> binary attachments fails it.</summary>
    public static bool TryParse(ReadOnlySequence<byte> input, int maxAttachments, [NotNullWhen(true)] out SocketPacket? packet)
    {
        packet = null;
        var reader = new SequenceReader<byte>(input);
        if (!reader.TryRead(out var typeByte) || typeByte < (byte)'0' || typeByte > (byte)'6')
        {
            return false;
        }

        var type = (SocketPacketType)(typeByte - '0');
        var binary = type is SocketPacketType.BinaryEvent or SocketPacketType.BinaryAck;

        var attachments = 0;
        if (binary)
        {
            var digits = 0;
            while (reader.TryPeek(out var b) && b is >= (byte)'0' and <= (byte)'9')
            {
                reader.Advance(1);
                attachments = attachments * 10 + (b - '0');
                if (++digits > 4 || attachments > maxAttachments)
                {
                    return false;
                }
            }

            if (digits == 0 || !reader.TryRead(out var dash) || dash != (byte)'-')
            {
                return false;
            }
        }

        var nsp = "/";
        if (reader.IsNext((byte)'/'))
        {
            ReadOnlySequence<byte> nspBytes;
            if (!reader.TryReadTo(out nspBytes, (byte)',', advancePastDelimiter: true))
            {
                // "40/custom": a namespace without the trailing comma runs to the end of the packet.
                nspBytes = reader.UnreadSequence;
                reader.AdvanceToEnd();
            }

            if (!TryDecodeNamespace(nspBytes, out nsp))
            {
                return false;
            }
        }

        long ackId = -1;
        if (reader.TryPeek(out var first) && first is >= (byte)'0' and <= (byte)'9')
        {
            if (type is not (SocketPacketType.Event or SocketPacketType.BinaryEvent or SocketPacketType.Ack or SocketPacketType.BinaryAck))
            {
                return false;
            }

            ackId = 0;
            var digits = 0;
            while (reader.TryPeek(out var b) && b is >= (byte)'0' and <= (byte)'9')
            {
                reader.Advance(1);
                // Node's ack ids are JavaScript numbers; 15 digits stays exact there and in a long.
                if (++digits > 15)
                {
                    return false;
                }

                ackId = ackId * 10 + (b - '0');
            }
        }

        if (ackId < 0 && type is SocketPacketType.Ack or SocketPacketType.BinaryAck)
        {
            return false;
        }

        var json = reader.UnreadSequence;
        if (json.IsEmpty)
        {
            if (type is not (SocketPacketType.Connect or SocketPacketType.Disconnect))
            {
                return false;
            }

            packet = new SocketPacket { Type = type, Namespace = nsp };
            return true;
        }

        if (type == SocketPacketType.Disconnect)
        {
            return false;
        }

        if (!TryParsePayload(json, type, binary, attachments, out var eventName, out var args, out var placeholders))
        {
            return false;
        }

        // The reader does not validate UTF-8 inside strings it is not asked to decode; re-emitted raw
        // arguments must not carry invalid text to other clients.
        var payload = json.ToArray();
        if (!System.Text.Unicode.Utf8.IsValid(payload))
        {
            return false;
        }

        packet = new SocketPacket
        {
            Type = type,
            Namespace = nsp,
            AckId = ackId,
            AttachmentCount = attachments,
            Payload = payload,
            EventName = eventName,
            Args = args,
            Placeholders = placeholders,
            Attachments = attachments == 0 ? [] : new ReadOnlyMemory<byte>[attachments],
        };
        return true;
    }

    private static bool TryDecodeNamespace(ReadOnlySequence<byte> bytes, out string nsp)
    {
        nsp = "/";
        if (bytes.IsEmpty)
        {
            return false;
        }

        try
        {
            nsp = bytes.IsSingleSegment ? StrictUtf8.GetString(bytes.FirstSpan) : StrictUtf8.GetString(bytes.ToArray());
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    private static bool TryParsePayload(
        ReadOnlySequence<byte> json,
        SocketPacketType type,
        bool binary,
        int attachmentCount,
        out string? eventName,
        out JsonSlice[] args,
        out PlaceholderRef[] placeholders)
    {
        eventName = null;
        args = [];
        placeholders = [];
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
            if (!reader.Read())
            {
                return false;
            }

            switch (type)
            {
                case SocketPacketType.Connect:
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        return false;
                    }

                    reader.Skip();
                    break;
                case SocketPacketType.ConnectError:
                    if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.String))
                    {
                        return false;
                    }

                    reader.Skip();
                    break;
                default:
                    if (reader.TokenType != JsonTokenType.StartArray)
                    {
                        return false;
                    }

                    var isEvent = type is SocketPacketType.Event or SocketPacketType.BinaryEvent;
                    if (!TryReadArray(ref reader, isEvent, binary, out eventName, out args, out placeholders))
                    {
                        return false;
                    }

                    break;
            }

            // Anything after the root value ("42[...]x") makes the reader throw here.
            if (reader.Read())
            {
                return false;
            }
        }
        catch (JsonException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            // GetString on a string that is not valid UTF-8.
            return false;
        }

        foreach (var p in placeholders)
        {
            if (p.Num >= attachmentCount)
            {
                return false;
            }
        }

        return true;
    }

    private static bool TryReadArray(
        ref Utf8JsonReader reader,
        bool isEvent,
        bool binary,
        out string? eventName,
        out JsonSlice[] args,
        out PlaceholderRef[] placeholders)
    {
        eventName = null;
        args = [];
        placeholders = [];
        // Per-thread scratch lists: the packet keeps exact-size arrays, the growth garbage stays here.
        var argList = t_args ??= new List<JsonSlice>(8);
        var placeholderList = t_placeholders ??= new List<PlaceholderRef>(4);
        argList.Clear();
        placeholderList.Clear();
        var index = 0;
        var elementStart = 0L;

        while (reader.Read())
        {
            var token = reader.TokenType;
            if (reader.CurrentDepth == 0)
            {
                // The root array ended.
                break;
            }

            var atTop = reader.CurrentDepth == 1;
            if (atTop && token is (JsonTokenType.EndArray or JsonTokenType.EndObject))
            {
                argList.Add(new JsonSlice((int)elementStart, (int)(reader.BytesConsumed - elementStart)));
                index++;
                continue;
            }

            if (atTop)
            {
                elementStart = reader.TokenStartIndex;
                if (isEvent && index == 0)
                {
                    if (token != JsonTokenType.String)
                    {
                        return false;
                    }

                    eventName = reader.GetString()!;
                    if (Array.IndexOf(ReservedEvents, eventName) >= 0)
                    {
                        return false;
                    }

                    index++;
                    continue;
                }
            }

            if (binary && token == JsonTokenType.StartObject)
            {
                var start = reader.TokenStartIndex;
                var probe = reader;
                var match = TryMatchPlaceholder(ref probe, out var num);
                if (match < 0)
                {
                    return false;
                }

                if (match > 0)
                {
                    reader = probe;
                    placeholderList.Add(new PlaceholderRef((int)start, (int)(reader.BytesConsumed - start), num));
                    if (atTop)
                    {
                        argList.Add(new JsonSlice((int)elementStart, (int)(reader.BytesConsumed - elementStart)));
                        index++;
                    }

                    continue;
                }
            }

            var endsTopValue = atTop && token is not (JsonTokenType.StartObject or JsonTokenType.StartArray);
            if (endsTopValue)
            {
                argList.Add(new JsonSlice((int)elementStart, (int)(reader.BytesConsumed - elementStart)));
                index++;
            }
        }

        if (isEvent && eventName is null)
        {
            return false;
        }

        args = argList.Count == 0 ? [] : argList.ToArray();
        placeholders = placeholderList.Count == 0 ? [] : placeholderList.ToArray();
        if (argList.Capacity > 1024 || placeholderList.Capacity > 1024)
        {
            // One huge packet should not pin its scratch space to the thread.
            t_args = null;
            t_placeholders = null;
        }
        return true;
    }

    /// <summary>
    /// Looks at the object the reader is on. 1: a valid placeholder (reader moved past it);
    /// 0: an ordinary object (reader position unspecified, caller restores it); -1: a broken placeholder.
    /// </summary>
    private static int TryMatchPlaceholder(ref Utf8JsonReader reader, out int num)
    {
        num = -1;
        var sawFlag = false;
        var sawNum = false;
        var properties = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            properties++;
            if (reader.ValueTextEquals("_placeholder"u8))
            {
                sawFlag = true;
                if (!reader.Read() || reader.TokenType != JsonTokenType.True)
                {
                    return -1;
                }
            }
            else if (reader.ValueTextEquals("num"u8))
            {
                if (!reader.Read() || reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out num) || num < 0)
                {
                    return sawFlag ? -1 : 0;
                }

                sawNum = true;
            }
            else
            {
                return sawFlag ? -1 : 0;
            }
        }

        if (properties == 2 && sawFlag && sawNum && reader.TokenType == JsonTokenType.EndObject)
        {
            return 1;
        }

        return sawFlag ? -1 : 0;
    }
}
