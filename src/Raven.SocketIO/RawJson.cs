using System.Text;
using System.Text.Json;
using Raven.SocketIO.Protocol;

namespace Raven.SocketIO;

/// <summary>
/// A JSON value kept as its exact UTF-8 text. Passed to <c>Emit</c> it is written verbatim, so re-emitting
/// a received argument reproduces the client's text byte for byte (key order, number formatting).
/// Received arguments that contain binary placeholders carry their attachments along and are renumbered on re-emit.
/// </summary>
public sealed class RawJson
{
    internal RawJson(ReadOnlyMemory<byte> utf8, PlaceholderRef[] placeholders, ReadOnlyMemory<byte>[] attachments)
    {
        Utf8 = utf8;
        Placeholders = placeholders;
        Attachments = attachments;
    }

    /// <summary>Wraps JSON text; throws <see cref="JsonException"/> when it is not exactly one JSON value.</summary>
    public RawJson(ReadOnlyMemory<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8.Span);
        if (!reader.Read())
        {
            throw new JsonException("Empty JSON.");
        }

        reader.Skip();
        if (reader.Read())
        {
            throw new JsonException("More than one JSON value.");
        }

        Utf8 = utf8;
        Placeholders = [];
        Attachments = [];
    }

    /// <inheritdoc cref="RawJson(ReadOnlyMemory{byte})"/>
    public RawJson(string json)
        : this(Encoding.UTF8.GetBytes(json))
    {
    }

    /// <summary>The JSON text as UTF-8.</summary>
    public ReadOnlyMemory<byte> Utf8 { get; }

    /// <summary>Placeholders inside <see cref="Utf8"/>, offsets relative to it.</summary>
    internal PlaceholderRef[] Placeholders { get; }

    internal ReadOnlyMemory<byte>[] Attachments { get; }

    /// <inheritdoc/>
    public override string ToString() => Encoding.UTF8.GetString(Utf8.Span);
}
