using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Raven.Testing;

/// <summary>
/// Binary values between C# and the Node driver travel as <c>{"$binary":"base64"}</c>. A <c>byte[]</c> passed
/// as an argument or option is converted automatically; these helpers read them back.
/// </summary>
public static class JsBinary
{
    /// <summary>The JSON form of <paramref name="data"/> (what a <c>Buffer</c> becomes on the Node side).</summary>
    public static JsonObject From(ReadOnlySpan<byte> data) => new() { ["$binary"] = Convert.ToBase64String(data) };

    public static bool Is(JsonElement value) =>
        value.ValueKind == JsonValueKind.Object
        && value.TryGetProperty("$binary", out var b)
        && b.ValueKind == JsonValueKind.String;

    /// <summary>The bytes of a <c>{"$binary"}</c> value; throws if <paramref name="value"/> is something else.</summary>
    public static byte[] Read(JsonElement value) =>
        Is(value)
            ? value.GetProperty("$binary").GetBytesFromBase64()
            : throw new InvalidOperationException($"Expected a binary value, got {value.GetRawText()}.");
}

/// <summary>Writes <c>byte[]</c> as <c>{"$binary":"base64"}</c> instead of a bare base64 string.</summary>
internal sealed class BinaryJsonConverter : JsonConverter<byte[]>
{
    public override byte[]? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var doc = JsonDocument.ParseValue(ref reader);
        return JsBinary.Read(doc.RootElement);
    }

    public override void Write(Utf8JsonWriter writer, byte[] value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteBase64String("$binary", value);
        writer.WriteEndObject();
    }
}
