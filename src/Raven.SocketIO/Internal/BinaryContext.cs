using System.Text.Json;
using System.Text.Json.Serialization;

namespace Raven.SocketIO.Internal;

/// <summary>
/// Per-thread state that lets System.Text.Json converters turn binary values into Socket.IO placeholders
/// (while encoding) and placeholders back into attachments (while binding), at any nesting depth.
/// </summary>
internal static class BinaryContext
{
    [ThreadStatic]
    public static List<ReadOnlyMemory<byte>>? Outgoing;

    [ThreadStatic]
    public static ReadOnlyMemory<byte>[]? Incoming;

    public static void WritePlaceholder(Utf8JsonWriter writer, int num)
    {
        writer.WriteStartObject();
        writer.WriteBoolean("_placeholder"u8, true);
        writer.WriteNumber("num"u8, num);
        writer.WriteEndObject();
    }

    /// <summary>Reads <c>{"_placeholder":true,"num":N}</c> and returns attachment N, or null if it isn't one.</summary>
    public static ReadOnlyMemory<byte>? ReadPlaceholder(ref Utf8JsonReader reader)
    {
        var incoming = Incoming;
        var isPlaceholder = false;
        var num = -1;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("_placeholder"u8))
            {
                reader.Read();
                isPlaceholder = reader.TokenType == JsonTokenType.True;
            }
            else if (reader.ValueTextEquals("num"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out num))
                {
                    num = -1;
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (isPlaceholder && incoming is not null && num >= 0 && num < incoming.Length)
        {
            return incoming[num];
        }

        return null;
    }
}

/// <summary>byte[] as a Socket.IO attachment when encoding or binding a packet; base64 otherwise (STJ's default).</summary>
internal sealed class ByteArrayAttachmentConverter : JsonConverter<byte[]>
{
    public override byte[]? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.String:
                return reader.GetBytesFromBase64();
            case JsonTokenType.StartObject:
                var data = BinaryContext.ReadPlaceholder(ref reader) ?? throw new JsonException("Expected a binary attachment placeholder.");
                return data.ToArray();
            default:
                throw new JsonException("Expected binary data.");
        }
    }

    public override void Write(Utf8JsonWriter writer, byte[] value, JsonSerializerOptions options)
    {
        var outgoing = BinaryContext.Outgoing;
        if (outgoing is null)
        {
            writer.WriteBase64StringValue(value);
            return;
        }

        outgoing.Add(value);
        BinaryContext.WritePlaceholder(writer, outgoing.Count - 1);
    }
}

/// <summary>ReadOnlyMemory&lt;byte&gt; counterpart of <see cref="ByteArrayAttachmentConverter"/>.</summary>
internal sealed class MemoryAttachmentConverter : JsonConverter<ReadOnlyMemory<byte>>
{
    public override ReadOnlyMemory<byte> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return reader.GetBytesFromBase64();
            case JsonTokenType.StartObject:
                return BinaryContext.ReadPlaceholder(ref reader) ?? throw new JsonException("Expected a binary attachment placeholder.");
            default:
                throw new JsonException("Expected binary data.");
        }
    }

    public override void Write(Utf8JsonWriter writer, ReadOnlyMemory<byte> value, JsonSerializerOptions options)
    {
        var outgoing = BinaryContext.Outgoing;
        if (outgoing is null)
        {
            writer.WriteBase64StringValue(value.Span);
            return;
        }

        outgoing.Add(value);
        BinaryContext.WritePlaceholder(writer, outgoing.Count - 1);
    }
}
