using Microsoft.AspNetCore.Http;

namespace Raven.Server.Auth;

/// <summary>Finds the access token a client presents.</summary>
public static class AccessTokenReader
{
    /// <summary>Name of the httpOnly cookie holding the access token.</summary>
    public const string CookieName = "accessToken";

    /// <summary>
    /// REST order: <c>Authorization: Bearer</c> first, then the <c>accessToken</c> cookie.
    /// Null when neither carries a non-empty token.
    /// </summary>
    public static string? FromRequest(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var bearer = FromAuthorizationHeader(request.Headers.Authorization.ToString());
        if (bearer is not null)
        {
            return bearer;
        }

        return request.Cookies.TryGetValue(CookieName, out var cookie) && !string.IsNullOrWhiteSpace(cookie) ? cookie : null;
    }

    /// <summary>The token of a <c>Bearer</c> authorization header value, or null.</summary>
    public static string? FromAuthorizationHeader(string? value)
    {
        if (string.IsNullOrEmpty(value) || !value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var token = value.AsSpan(7).Trim();
        return token.IsEmpty ? null : token.ToString();
    }

    /// <summary>
    /// The <c>accessToken</c> value of a raw <c>Cookie</c> header (e.g. a WebSocket upgrade request's), URL-decoded; null when absent.
    /// </summary>
    public static string? FromCookieHeader(string? cookieHeader)
    {
        if (string.IsNullOrEmpty(cookieHeader))
        {
            return null;
        }

        foreach (var part in cookieHeader.Split(';'))
        {
            var eq = part.IndexOf('=');
            if (eq > 0 && part.AsSpan(0, eq).Trim().SequenceEqual(CookieName))
            {
                var value = part.AsSpan(eq + 1).Trim();
                if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
                {
                    value = value[1..^1];
                }

                return value.IsEmpty ? null : Uri.UnescapeDataString(value.ToString());
            }
        }

        return null;
    }
}
