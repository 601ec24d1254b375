namespace Raven.Server.Internal;

/// <summary>
/// Checks a stored file's first bytes against its declared type, so an upload declared as an image or a PDF
/// really is one (and, e.g., an HTML page renamed .png is refused).
/// </summary>
internal static class UploadContent
{
    /// <summary>Bytes read from the start of a file for the check.</summary>
    public const int SniffLength = 4096;

    private static ReadOnlySpan<byte> Png => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private static ReadOnlySpan<byte> Ole => [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

    /// <summary>True when <paramref name="head"/> (the file's first bytes) fits <paramref name="contentType"/>.</summary>
    public static bool Matches(string contentType, ReadOnlySpan<byte> head) => contentType switch
    {
        "image/jpeg" => head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]),
        "image/png" => head.StartsWith(Png),
        "image/gif" => head.StartsWith("GIF87a"u8) || head.StartsWith("GIF89a"u8),
        "image/webp" => head.Length >= 12 && head.StartsWith("RIFF"u8) && head[8..12].SequenceEqual("WEBP"u8),
        "application/pdf" => head.StartsWith("%PDF-"u8),
        // Office Open XML documents are zip archives; an empty archive starts with the end-of-directory record.
        "application/zip"
            or "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            or "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            or "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            => head.StartsWith("PK\x03\x04"u8) || head.StartsWith("PK\x05\x06"u8),
        "application/msword" or "application/vnd.ms-excel" or "application/vnd.ms-powerpoint" => head.StartsWith(Ole),
        // Text has no signature; binary content (NUL bytes) is not text.
        "text/plain" or "text/csv" => !head.Contains((byte)0),
        _ => false,
    };

    /// <summary>Images render inline; everything else is served as a download.</summary>
    public static bool IsInline(string contentType) => contentType.StartsWith("image/", StringComparison.Ordinal);
}
