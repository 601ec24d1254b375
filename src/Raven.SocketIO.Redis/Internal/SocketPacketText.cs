using System.Buffers;
using System.Buffers.Text;
using System.Text;
using Raven.SocketIO.Adapter;

namespace Raven.SocketIO.Redis.Internal;

/// <summary>
/// The header of a Socket.IO packet's text form (<c>&lt;type&gt;[&lt;attachments&gt;-][&lt;nsp&gt;,][&lt;id&gt;]&lt;json&gt;</c>),
/// read from packets this server encoded and written for packets that arrive from Redis as objects.
/// </summary>
internal static class SocketPacketText
{
    public const int Event = 2;
    public const int Ack = 3;
    private const int BinaryEvent = 5;
    private const int BinaryAck = 6;

    /// <summary>Splits an encoded EVENT/ACK packet. Binary types are reported as their plain type, like Node's packet objects.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> text, out int type, out long ackId, out ReadOnlyMemory<byte> json)
    {
        var span = text.Span;
        type = 0;
        ackId = -1;
        json = default;
        if (span.IsEmpty)
        {
            return false;
        }

        type = span[0] - '0';
        var i = 1;
        if (type is BinaryEvent or BinaryAck)
        {
            var dash = span.IndexOf((byte)'-');
            if (dash < 0)
            {
                return false;
            }

            i = dash + 1;
            type -= 3;
        }

        if (type is not (Event or Ack))
        {
            return false;
        }

        if (i < span.Length && span[i] == '/')
        {
            var comma = span[i..].IndexOf((byte)',');
            i = comma < 0 ? span.Length : i + comma + 1;
        }

        var start = i;
        while (i < span.Length && span[i] is >= (byte)'0' and <= (byte)'9')
        {
            i++;
        }

        if (i > start && Utf8Parser.TryParse(span[start..i], out long id, out _))
        {
            ackId = id;
        }

        json = text[i..];
        return true;
    }

    /// <summary>Builds an EVENT or ACK packet of <paramref name="nsp"/> from its JSON array and attachments.</summary>
    public static EncodedPacket Build(int type, string nsp, long ackId, ReadOnlySpan<byte> json, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        var buffer = new ArrayBufferWriter<byte>(json.Length + nsp.Length + 24);
        var binary = attachments.Count > 0;
        Write(buffer, (binary ? type + 3 : type).ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (binary)
        {
            Write(buffer, attachments.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Write(buffer, "-");
        }

        if (nsp != "/")
        {
            Write(buffer, nsp);
            Write(buffer, ",");
        }

        if (ackId >= 0)
        {
            Write(buffer, ackId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        buffer.Write(json);
        return new EncodedPacket(buffer.WrittenMemory, attachments);
    }

    private static void Write(ArrayBufferWriter<byte> buffer, string value)
    {
        var span = buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(value.Length));
        buffer.Advance(Encoding.UTF8.GetBytes(value, span));
    }
}
