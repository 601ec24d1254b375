using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Raven.Server.Auth.Internal;

namespace Raven.Server.Internal;

/// <summary>
/// Files under DATA_DIR/uploads, addressed by keys <c>folder/{128 random bits as hex}.ext</c> that only this class
/// generates. Uploads use S3-style presigned PUT URLs bound to the uploader:
/// <c>?expires=unix&amp;owner=userId&amp;sig=HMAC("PUT\n{key}\n{content type}\n{expires}\n{owner}")</c>.
/// Downloads need a capability: the public URL carries <c>?sig=HMAC("GET\n{key}")</c>, long-lived, because the web
/// client stores that URL in the message and renders it whenever a participant opens the conversation.
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

    // 128 random bits: a key cannot be guessed from any other key (ObjectIds could, from their counter).
    private const int KeyHexLength = 32;

    private readonly IReadOnlyList<byte[]> _signingKeys;
    private readonly TimeProvider _time;
    private readonly RavenServerOptions _options;

    public UploadStore(JwtKeys keys, IOptions<RavenServerOptions> options, TimeProvider time)
    {
        _signingKeys = keys.UploadSigningKeys;
        _time = time;
        _options = options.Value;
        Root = Path.Combine(Path.GetFullPath(_options.DataDirectory), "uploads");
        Quota = new UploadQuota(Root, _options.UploadQuotaBytes);
    }

    public string Root { get; }

    public UploadQuota Quota { get; }

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

    /// <summary>A fresh key: sanitized folder, 128 random bits, and the filename's extension if it fits the type.</summary>
    public static string NewKey(string? folder, string? filename, string contentType)
    {
        var extensions = s_types[contentType];
        var requested = Path.GetExtension(filename ?? string.Empty).ToLowerInvariant();
        var extension = extensions.Contains(requested) ? requested : extensions[0];
        return $"{SanitizeFolder(folder)}/{RandomNumberGenerator.GetHexString(KeyHexLength, lowercase: true)}{extension}";
    }

    public (long Expires, string Signature) SignUpload(string key, string contentType, string ownerId)
    {
        var expires = _time.GetUtcNow().AddSeconds(_options.UploadUrlSeconds).ToUnixTimeSeconds();
        return (expires, Signature(_signingKeys[0], UploadPayload(key, contentType, expires, ownerId)));
    }

    public bool IsExpired(long expires) => _time.GetUtcNow().ToUnixTimeSeconds() > expires;

    public bool VerifyUpload(string key, string contentType, long expires, string ownerId, string? signature) =>
        Verify(UploadPayload(key, contentType, expires, ownerId), signature);

    /// <summary>The download capability of a key (the <c>sig</c> of its public URL).</summary>
    public string SignDownload(string key) => Signature(_signingKeys[0], DownloadPayload(key));

    public bool VerifyDownload(string key, string? signature) => Verify(DownloadPayload(key), signature);

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

    private static string UploadPayload(string key, string contentType, long expires, string ownerId) =>
        string.Create(CultureInfo.InvariantCulture, $"PUT\n{key}\n{contentType}\n{expires}\n{ownerId}");

    private static string DownloadPayload(string key) => $"GET\n{key}";

    // Every configured key is tried, so URLs signed before a JWT_SECRET rotation keep working (JWT_PREVIOUS_SECRETS).
    private bool Verify(string payload, string? signature)
    {
        if (string.IsNullOrEmpty(signature) || signature.Length > 64)
        {
            return false;
        }

        var actual = Encoding.ASCII.GetBytes(signature);
        foreach (var key in _signingKeys)
        {
            if (CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Signature(key, payload)), actual))
            {
                return true;
            }
        }

        return false;
    }

    private static string Signature(byte[] key, string payload) =>
        Base64Url.EncodeToString(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(payload)));

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

    [GeneratedRegex("^[0-9a-f]{32}\\.[a-z]{2,5}$")]
    private static partial Regex FilePattern();
}
