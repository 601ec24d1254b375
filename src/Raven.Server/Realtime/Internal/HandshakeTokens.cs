using System.Text.Json;
using Microsoft.Extensions.Options;
using Raven.Server.Auth;
using Raven.SocketIO;

namespace Raven.Server.Realtime.Internal;

/// <summary>
/// Finds the access token of a Socket.IO handshake: <c>auth.token</c>, else the <c>accessToken</c> cookie (only from
/// an allowed origin), else a Bearer header.
/// </summary>
internal sealed class HandshakeTokens(IOptions<RavenServerOptions> options, ILogger<HandshakeTokens> logger)
{
    private readonly IReadOnlyList<string> _corsOrigins = options.Value.CorsOrigins;

    public (string? Token, AccessTokenResult? Preset) Find(SocketIOSocket socket)
    {
        var handshake = socket.Handshake;
        if (handshake.Auth.ValueKind == JsonValueKind.Object && handshake.Auth.TryGetProperty("token", out var value))
        {
            switch (value.ValueKind)
            {
                case JsonValueKind.String when !string.IsNullOrWhiteSpace(value.GetString()):
                    var token = value.GetString()!;
                    // Some clients pass the header form; accept it rather than report a confusing INVALID_TOKEN.
                    return (AccessTokenReader.FromAuthorizationHeader(token) ?? token, null);
                case JsonValueKind.String or JsonValueKind.Null or JsonValueKind.Undefined:
                    break;
                default:
                    return (null, new AccessTokenResult(false, null, null, null, RealtimeEvents.InvalidToken, "auth.token must be a string."));
            }
        }

        if (handshake.Headers.TryGetValue("cookie", out var cookieHeader)
            && AccessTokenReader.FromCookieHeader(cookieHeader) is { } cookieToken)
        {
            if (CookieOriginAllowed(handshake, socket.Id))
            {
                return (cookieToken, null);
            }
        }

        return handshake.Headers.TryGetValue("authorization", out var authorization)
            ? (AccessTokenReader.FromAuthorizationHeader(authorization), null)
            : (null, null);
    }

    // Browsers attach cookies to WebSocket handshakes from any page (CORS does not apply there), so a cookie only
    // authenticates a request from no browser page (no Origin), the server's own origin, or a CORS_ORIGIN entry.
    private bool CookieOriginAllowed(SocketHandshake handshake, string socketId)
    {
        if (!handshake.Headers.TryGetValue("origin", out var origin) || string.IsNullOrEmpty(origin))
        {
            return true;
        }

        foreach (var allowed in _corsOrigins)
        {
            if (string.Equals(allowed, origin, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        // Same origin means same scheme too: an http:// page must not ride on the cookies of the https:// site.
        if (Uri.TryCreate(origin, UriKind.Absolute, out var uri)
            && handshake.Headers.TryGetValue("host", out var host)
            && string.Equals(uri.Authority, host, StringComparison.OrdinalIgnoreCase)
            && uri.Scheme == (handshake.Secure ? Uri.UriSchemeHttps : Uri.UriSchemeHttp))
        {
            return true;
        }

        RealtimeLog.CookieOriginRejected(logger, socketId, origin);
        return false;
    }
}
