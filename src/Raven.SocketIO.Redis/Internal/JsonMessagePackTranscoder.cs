using System.Buffers;
using System.Text.Json;

namespace Raven.SocketIO.Redis.Internal;

/// <summary>
/// Converts event arguments between Socket.IO's text form (JSON with <c>{"_placeholder":true,"num":n}</c> objects
/// standing for binary attachments) and the MessagePack form Node servers exchange through Redis, where binary is
/// inline <c>bin</c> and there are no placeholders. Both directions keep JSON semantics: what JavaScript would see
/// after <c>JSON.parse</c> on one side is what it sees after notepack.io's <c>decode</c> on the other.
/// </summary>
internal static class JsonMessagePackTranscoder
{
    /// <summary>Deepest nesting accepted from Redis; deeper messages are rejected (a peer cannot exhaust the stack).</summary>
    private const int MaxDepth = 64;

    /// <summary>Writes a JSON value, replacing placeholders with the attachment bytes they name.</summary>
    public static void WriteJson(ref MessagePackWriter writer, JsonElement value, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                if (TryGetPlaceholder(value, out var num) && num < attachments.Count)
                {
                    writer.WriteBinary(attachments[num].Span);
                    return;
                }

                var count = 0;
                foreach (var _ in value.EnumerateObject())
                {
                    count++;
                }

                writer.WriteMapHeader(count);
                foreach (var property in value.EnumerateObject())
                {
                    writer.WriteString(property.Name);
                    WriteJson(ref writer, property.Value, attachments);
                }

                return;
            case JsonValueKind.Array:
                writer.WriteArrayHeader(value.GetArrayLength());
                foreach (var item in value.EnumerateArray())
                {
                    WriteJson(ref writer, item, attachments);
                }

                return;
            case JsonValueKind.String:
                writer.WriteString(value.GetString()!);
                return;
            case JsonValueKind.Number:
                if (value.TryGetInt64(out var integer))
                {
                    writer.WriteInteger(integer);
                }
                else
                {
                    writer.WriteNumber(value.GetDouble());
                }

                return;
            case JsonValueKind.True:
                writer.WriteBoolean(true);
                return;
            case JsonValueKind.False:
                writer.WriteBoolean(false);
                return;
            default:
                writer.WriteNil();
                return;
        }
    }

    /// <summary>
    /// Writes one MessagePack value as JSON; each <c>bin</c> becomes a placeholder and its bytes are appended to
    /// <paramref name="attachments"/>.
    /// </summary>
    public static void WriteMessagePack(ref MessagePackReader reader, Utf8JsonWriter json, List<ReadOnlyMemory<byte>> attachments, int depth = 0)
    {
        if (depth > MaxDepth)
        {
            throw new FormatException("MessagePack message nested too deeply.");
        }

        switch (reader.PeekKind())
        {
            case MessagePackKind.Nil:
                reader.TryReadNil();
                json.WriteNullValue();
                break;
            case MessagePackKind.Boolean:
                json.WriteBooleanValue(reader.ReadBoolean());
                break;
            case MessagePackKind.Integer:
            case MessagePackKind.Float:
                var number = reader.ReadNumber();
                if (double.IsFinite(number))
                {
                    json.WriteNumberValue(number);
                }
                else
                {
                    json.WriteNullValue(); // JSON.stringify(NaN) is null too
                }

                break;
            case MessagePackKind.String:
                json.WriteStringValue(reader.ReadStringBytes());
                break;
            case MessagePackKind.Binary:
                json.WriteStartObject();
                json.WriteBoolean("_placeholder", true);
                json.WriteNumber("num", attachments.Count);
                json.WriteEndObject();
                attachments.Add(reader.ReadBinary().ToArray());
                break;
            case MessagePackKind.Extension:
                // notepack.io writes Date as an extension; nothing else of JSON's world needs one.
                reader.ReadExtension();
                json.WriteNullValue();
                break;
            case MessagePackKind.Array:
                var length = reader.ReadArrayHeader();
                json.WriteStartArray();
                for (var i = 0; i < length; i++)
                {
                    WriteMessagePack(ref reader, json, attachments, depth + 1);
                }

                json.WriteEndArray();
                break;
            case MessagePackKind.Map:
                var count = reader.ReadMapHeader();
                json.WriteStartObject();
                for (var i = 0; i < count; i++)
                {
                    WriteKey(ref reader, json);
                    WriteMessagePack(ref reader, json, attachments, depth + 1);
                }

                json.WriteEndObject();
                break;
        }
    }

    /// <summary>Converts one MessagePack value to JSON bytes plus the attachments it carried.</summary>
    public static (byte[] Json, List<ReadOnlyMemory<byte>> Attachments) ToJson(ref MessagePackReader reader)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        var attachments = new List<ReadOnlyMemory<byte>>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            WriteMessagePack(ref reader, json, attachments);
        }

        return (buffer.WrittenSpan.ToArray(), attachments);
    }

    private static void WriteKey(ref MessagePackReader reader, Utf8JsonWriter json)
    {
        switch (reader.PeekKind())
        {
            case MessagePackKind.String:
                json.WritePropertyName(reader.ReadStringBytes());
                break;
            case MessagePackKind.Integer:
            case MessagePackKind.Float:
                json.WritePropertyName(reader.ReadNumber().ToString(System.Globalization.CultureInfo.InvariantCulture));
                break;
            default:
                throw new FormatException("MessagePack map key is neither a string nor a number.");
        }
    }

    private static bool TryGetPlaceholder(JsonElement value, out int num)
    {
        num = 0;
        return value.TryGetProperty("_placeholder", out var flag)
            && flag.ValueKind == JsonValueKind.True
            && value.TryGetProperty("num", out var n)
            && n.TryGetInt32(out num)
            && num >= 0;
    }
}
