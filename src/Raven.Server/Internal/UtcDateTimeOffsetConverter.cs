using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Raven.Server.Internal;

/// <summary>
/// Writes instants as the original API did (JavaScript's <c>toISOString()</c>): UTC, milliseconds, trailing 'Z'.
/// The web client shows <c>createdAt</c> verbatim, so the format is part of the contract.
/// </summary>
internal sealed class UtcDateTimeOffsetConverter : JsonConverter<DateTimeOffset>
{
    private const string Format = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.GetDateTimeOffset();

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
    {
        Span<char> buffer = stackalloc char[24];
        value.UtcDateTime.TryFormat(buffer, out var written, Format, CultureInfo.InvariantCulture);
        writer.WriteStringValue(buffer[..written]);
    }

    /// <summary>The same text, for places that build strings (e.g. tests, logs).</summary>
    public static string ToIso(DateTimeOffset value) => value.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);
}
