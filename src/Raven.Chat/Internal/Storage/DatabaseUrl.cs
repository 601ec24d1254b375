using System.Globalization;
using Npgsql;

namespace Raven.Chat.Internal.Storage;

/// <summary>
/// <c>DATABASE_URL</c> as hosting platforms give it — <c>postgres://user:password@host:port/db?sslmode=require</c>
/// (also <c>postgresql://</c>, several <c>host:port</c> pairs separated by commas, <c>[::1]</c>, percent-encoded
/// parts) — or Npgsql's keyword form (<c>Host=...;Username=...</c>), turned into an Npgsql connection string.
/// </summary>
internal static class DatabaseUrl
{
    // libpq query parameters people put in URLs, and the Npgsql keyword each maps to.
    private static readonly Dictionary<string, string> QueryKeywords = new(StringComparer.OrdinalIgnoreCase)
    {
        ["sslmode"] = "SSL Mode",
        ["sslrootcert"] = "Root Certificate",
        ["sslcert"] = "SSL Certificate",
        ["sslkey"] = "SSL Key",
        ["sslpassword"] = "SSL Password",
        ["application_name"] = "Application Name",
        ["connect_timeout"] = "Timeout",
        ["target_session_attrs"] = "Target Session Attributes",
        ["options"] = "Options",
        ["search_path"] = "Search Path",
        ["channel_binding"] = "Channel Binding",
        ["user"] = "Username",
        ["password"] = "Password",
        ["dbname"] = "Database",
        ["host"] = "Host",
        ["port"] = "Port",
    };

    /// <exception cref="FormatException">Not a usable PostgreSQL URL or connection string; the message names the problem, never the password.</exception>
    public static string ToConnectionString(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        string text = value.Trim();
        NpgsqlConnectionStringBuilder builder;
        int schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd >= 0)
        {
            string scheme = text[..schemeEnd];
            if (!scheme.Equals("postgres", StringComparison.OrdinalIgnoreCase) && !scheme.Equals("postgresql", StringComparison.OrdinalIgnoreCase))
            {
                throw new FormatException($"must start with postgres:// or postgresql:// (got {scheme}://).");
            }

            builder = FromUrl(text[(schemeEnd + 3)..]);
        }
        else
        {
            try
            {
                builder = new NpgsqlConnectionStringBuilder(text);
            }
            catch (ArgumentException ex)
            {
                throw new FormatException($"is neither a postgres:// URL nor a valid Npgsql connection string ({FirstSentence(ex.Message)}).", ex);
            }
        }

        if (string.IsNullOrEmpty(builder.Host))
        {
            throw new FormatException("names no host.");
        }

        return builder.ConnectionString;
    }

    private static NpgsqlConnectionStringBuilder FromUrl(string rest)
    {
        var builder = new NpgsqlConnectionStringBuilder();
        string query = "";
        int queryStart = rest.IndexOf('?', StringComparison.Ordinal);
        if (queryStart >= 0)
        {
            query = rest[(queryStart + 1)..];
            rest = rest[..queryStart];
        }

        int pathStart = rest.IndexOf('/', StringComparison.Ordinal);
        string authority = pathStart >= 0 ? rest[..pathStart] : rest;
        string database = pathStart >= 0 ? Decode(rest[(pathStart + 1)..]) : "";

        // The password may contain '@' when not encoded; the host part cannot, so split at the last one.
        int at = authority.LastIndexOf('@');
        if (at >= 0)
        {
            string userInfo = authority[..at];
            authority = authority[(at + 1)..];
            int colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            builder.Username = Decode(colon >= 0 ? userInfo[..colon] : userInfo);
            if (colon >= 0)
            {
                builder.Password = Decode(userInfo[(colon + 1)..]);
            }
        }

        var hosts = new List<string>();
        int? port = null;
        foreach (string hostPort in authority.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            (string host, int? hostPortNumber) = SplitHostPort(hostPort);
            hosts.Add(hostPortNumber is int p && authority.Contains(',', StringComparison.Ordinal) ? $"{host}:{p}" : host);
            port ??= hostPortNumber;
        }

        if (hosts.Count > 0)
        {
            builder.Host = string.Join(',', hosts);
        }

        if (port is int single && !authority.Contains(',', StringComparison.Ordinal))
        {
            builder.Port = single;
        }

        if (database.Length > 0)
        {
            builder.Database = database;
        }

        foreach (string pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            string key = Decode(eq >= 0 ? pair[..eq] : pair);
            string val = eq >= 0 ? Decode(pair[(eq + 1)..]) : "";
            string keyword = QueryKeywords.TryGetValue(key, out string? mapped) ? mapped : key;
            try
            {
                builder[keyword] = keyword == "SSL Mode" ? SslModeName(val) : val;
            }
            catch (ArgumentException ex)
            {
                throw new FormatException($"has an unsupported or invalid parameter '{key}' ({FirstSentence(ex.Message)}).", ex);
            }
        }

        return builder;
    }

    private static (string Host, int? Port) SplitHostPort(string hostPort)
    {
        string host = hostPort;
        string? port = null;
        if (hostPort.StartsWith('['))
        {
            int close = hostPort.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw new FormatException("has an IPv6 host without its closing ']'.");
            }

            host = hostPort[1..close];
            if (close + 1 < hostPort.Length && hostPort[close + 1] == ':')
            {
                port = hostPort[(close + 2)..];
            }
        }
        else
        {
            int colon = hostPort.LastIndexOf(':');
            if (colon >= 0)
            {
                host = hostPort[..colon];
                port = hostPort[(colon + 1)..];
            }
        }

        if (port is null || port.Length == 0)
        {
            return (Decode(host), null);
        }

        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int number) || number is < 1 or > 65535)
        {
            throw new FormatException($"has an invalid port '{port}'.");
        }

        return (Decode(host), number);
    }

    // libpq spells modes in lower case with dashes; Npgsql's enum names have none.
    private static string SslModeName(string mode) => mode.ToLowerInvariant() switch
    {
        "verify-ca" => "VerifyCA",
        "verify-full" => "VerifyFull",
        _ => mode,
    };

    private static string Decode(string value) => Uri.UnescapeDataString(value);

    private static string FirstSentence(string message)
    {
        int end = message.IndexOf(". ", StringComparison.Ordinal);
        return (end >= 0 ? message[..end] : message).TrimEnd('.');
    }
}
