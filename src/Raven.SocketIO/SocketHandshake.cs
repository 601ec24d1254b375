using System.Security.Claims;
using System.Text.Json;

namespace Raven.SocketIO;

/// <summary>What a socket's client presented: the Engine.IO request that opened the session plus the CONNECT payload.</summary>
public sealed class SocketHandshake
{
    /// <summary>Request headers (case-insensitive keys), including <c>cookie</c>.</summary>
    public required IReadOnlyDictionary<string, string> Headers { get; init; }

    /// <summary>Query string parameters of the opening request.</summary>
    public required IReadOnlyDictionary<string, string> Query { get; init; }

    /// <summary>The CONNECT payload (<c>auth</c> option of the client); an empty object when there was none.</summary>
    public required JsonElement Auth { get; init; }

    /// <summary>The client's IP address.</summary>
    public string? Address { get; init; }

    /// <summary>When the Engine.IO session was opened.</summary>
    public DateTimeOffset Time { get; init; }

    /// <summary>The URL of the opening request (path and query).</summary>
    public required string Url { get; init; }

    /// <summary>Whether the opening request used TLS.</summary>
    public bool Secure { get; init; }

    /// <summary>The principal ASP.NET Core authenticated on the opening request, if any.</summary>
    public ClaimsPrincipal? User { get; init; }

    /// <summary>The cookies of the opening request, parsed from the <c>cookie</c> header.</summary>
    public IReadOnlyDictionary<string, string> Cookies => _cookies ??= ParseCookies();

    private IReadOnlyDictionary<string, string>? _cookies;

    private Dictionary<string, string> ParseCookies()
    {
        var cookies = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!Headers.TryGetValue("cookie", out var header))
        {
            return cookies;
        }

        foreach (var part in header.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0)
            {
                continue;
            }

            var value = part[(eq + 1)..].Trim('"');
            cookies.TryAdd(part[..eq], Uri.UnescapeDataString(value));
        }

        return cookies;
    }
}
