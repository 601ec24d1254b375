using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Raven.Chat;
using Raven.Server.Auth.Internal;

namespace Raven.Server.Internal;

/// <summary>
/// Files under DATA_DIR/uploads, addressed by keys <c>folder/objectid.ext</c> that only this class generates, and
/// S3-style presigned PUT URLs: <c>?expires=unix&amp;sig=HMAC(key, "PUT\n{key}\n{content type}\n{expires}")</c>.
/// </summary>
internal sealed partial class UploadStore
{
    // Content types we accept and serve, with their canonical extension first. No HTML/SVG/JS: served files must not script.
    private static readonly Dictionary<string, string[]> s_types = new(StringComparer.OrdinalIgnoreCase)
    {
        ["image/jpeg"] = [".jpg", ".jpeg"],
        ["image/png"] = [".png"],
        ["image/gif"] = [".gif"],
        ["image/webp"] = [".webp"],
        ["application/pdf"] = [".pdf"],
        ["text/plain"] = [".txt"],
        ["text/csv"] = [".csv"],
        ["application/zip"] = [".zip"],
        ["application/msword"] = [".doc"],
        ["application/vnd.openxmlformats-officedocument.wordprocessingml.document"] = [".docx"],
        ["application/vnd.ms-excel"] = [".xls"],
        ["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"] = [".xlsx"],
        ["application/vnd.ms-powerpoint"] = [".ppt"],
        ["application/vnd.openxmlformats-officedocument.presentationml.presentation"] = [".pptx"],
    };

    private static readonly Dictionary<string, string> s_typeByExtension =
        s_types.SelectMany(t => t.Value.Select(ext => (ext, type: t.Key))).ToDictionary(p => p.ext, p => p.type, StringComparer.Ordinal);

    private readonly byte[] _signingKey;
    private readonly TimeProvider _time;
    private readonly RavenServerOptions _options;

    public UploadStore(JwtKeys keys, IOptions<RavenServerOptions> options, TimeProvider time)
    {
        _signingKey = keys.UploadSigningKey;
        _time = time;
        _options = options.Value;
        Root = Path.Combine(Path.GetFullPath(_options.DataDirectory), "uploads");
    }

    public string Root { get; }

    public long MaxBytes => _options.UploadMaxBytes;

    /// <summary>The media type without parameters, lower-cased, when it is on the allowlist; otherwise null.</summary>
    public static string? NormalizeContentType(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return null;
        }

        var semicolon = contentType.IndexOf(';');
        var mediaType = (semicolon >= 0 ? contentType[..semicolon] : contentType).Trim().ToLowerInvariant();
        return s_types.ContainsKey(mediaType) ? mediaType : null;
    }

    /// <summary>A fresh key: sanitized folder, a new object id, and the filename's extension if it fits the type.</summary>
    public static string NewKey(string? folder, string? filename, string contentType)
    {
        var extensions = s_types[contentType];
        var requested = Path.GetExtension(filename ?? string.Empty).ToLowerInvariant();
        var extension = extensions.Contains(requested) ? requested : extensions[0];
        return $"{SanitizeFolder(folder)}/{ObjectIds.NewId()}{extension}";
    }

    public (long Expires, string Signature) Sign(string key, string contentType)
    {
        var expires = _time.GetUtcNow().AddSeconds(_options.UploadUrlSeconds).ToUnixTimeSeconds();
        return (expires, Signature(key, contentType, expires));
    }

    public bool IsExpired(long expires) => _time.GetUtcNow().ToUnixTimeSeconds() > expires;

    public bool VerifySignature(string key, string contentType, long expires, string? signature)
    {
        if (string.IsNullOrEmpty(signature))
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(Signature(key, contentType, expires));
        var actual = Encoding.ASCII.GetBytes(signature);
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }

    /// <summary>The file path of a well-formed key inside <see cref="Root"/>, or null for anything else (no traversal possible).</summary>
    public string? PathFor(string folder, string file)
    {
        if (!FolderPattern().IsMatch(folder) || !FilePattern().IsMatch(file) || !s_typeByExtension.ContainsKey(Path.GetExtension(file)))
        {
            return null;
        }

        var path = Path.GetFullPath(Path.Combine(Root, folder, file));
        return path.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? path : null;
    }

    public static string ContentTypeOf(string file) => s_typeByExtension[Path.GetExtension(file)];

    private string Signature(string key, string contentType, long expires)
    {
        var payload = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"PUT\n{key}\n{contentType}\n{expires}"));
        return Base64Url.EncodeToString(HMACSHA256.HashData(_signingKey, payload));
    }

    private static string SanitizeFolder(string? folder)
    {
        var cleaned = new StringBuilder();
        foreach (var c in (folder ?? string.Empty).ToLowerInvariant())
        {
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            {
                cleaned.Append(c);
                if (cleaned.Length == 32)
                {
                    break;
                }
            }
        }

        return cleaned.Length == 0 ? "files" : cleaned.ToString();
    }

    [GeneratedRegex("^[a-z0-9_-]{1,32}$")]
    private static partial Regex FolderPattern();

    [GeneratedRegex("^[0-9a-f]{24}\\.[a-z]{2,5}$")]
    private static partial Regex FilePattern();
}
