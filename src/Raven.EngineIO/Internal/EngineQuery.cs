namespace Raven.EngineIO.Internal;

/// <summary>
/// Reads the query string of an Engine.IO request without <c>HttpRequest.Query</c>: that collection is cached on the
/// request, and a WebSocket request lives as long as its connection, so every idle connection would keep a parsed
/// dictionary it never reads again. <see cref="Find"/> allocates only the value it returns; <see cref="Parse"/> builds
/// the dictionary for <see cref="EngineHandshake.Query"/> when an application asks for it.
/// </summary>
internal static class EngineQuery
{
    /// <summary>The first value of <paramref name="name"/> in <paramref name="query"/> ("?a=1&amp;b=2"), decoded; null when absent.</summary>
    public static string? Find(string? query, string name)
    {
        if (string.IsNullOrEmpty(query))
        {
            return null;
        }

        var rest = query.AsSpan(query[0] == '?' ? 1 : 0);
        while (!rest.IsEmpty)
        {
            var end = rest.IndexOf('&');
            var pair = end < 0 ? rest : rest[..end];
            rest = end < 0 ? [] : rest[(end + 1)..];
            var eq = pair.IndexOf('=');
            var key = eq < 0 ? pair : pair[..eq];
            if (NeedsDecoding(key) ? Decode(key) == name : key.SequenceEqual(name))
            {
                var value = eq < 0 ? [] : pair[(eq + 1)..];
                return NeedsDecoding(value) ? Decode(value) : value.ToString();
            }
        }

        return null;
    }

    /// <summary>Every parameter of <paramref name="query"/>, decoded; repeated names keep their values comma-joined.</summary>
    public static Dictionary<string, string> Parse(string? query)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, values) in Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(query))
        {
            result[key] = values.ToString();
        }

        return result;
    }

    private static bool NeedsDecoding(ReadOnlySpan<char> text) => text.ContainsAny('%', '+');

    private static string Decode(ReadOnlySpan<char> text) => Uri.UnescapeDataString(text.ToString().Replace('+', ' '));
}
