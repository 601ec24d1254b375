using System.Security.Claims;
using System.Text.Json;

namespace Raven.SocketIO;

/// <summary>What a socket's client presented: the Engine.IO request that opened the session plus the CONNECT payload.</summary>
public sealed class SocketHandshake
{
    /// <summary>Request headers (case-insensitive keys), including <c>cookie</c>.</summary>
    public required IReadOnlyDictionary<string, string> Headers { get; init; }

    /// <summary>Query string parameters of the opening request (parsed when first read, unless given).</summary>
    public IReadOnlyDictionary<string, string> Query
    {
        get => _query ?? _engine?.Query ?? EmptyQuery;
        init => _query = value;
    }

    /// <summary>The Engine.IO snapshot whose query this handshake reports, when <see cref="Query"/> was not given.</summary>
    internal Raven.EngineIO.EngineHandshake? Engine
    {
        init => _engine = value;
    }

    private static readonly IReadOnlyDictionary<string, string> EmptyQuery = new Dictionary<string, string>();

    private readonly IReadOnlyDictionary<string, string>? _query;
    private readonly Raven.EngineIO.EngineHandshake? _engine;

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
