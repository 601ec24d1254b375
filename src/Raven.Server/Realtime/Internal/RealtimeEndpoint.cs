using Microsoft.AspNetCore.Http.Features;

namespace Raven.Server.Realtime.Internal;

/// <summary>Finds the realtime (Socket.IO) endpoint and recognises the WebSocket requests that go straight to it.</summary>
internal sealed class RealtimeEndpoint
{
    /// <summary>Endpoint metadata that marks the realtime endpoint.</summary>
    public static readonly RealtimeEndpoint Marker = new();

    private RealtimeEndpoint()
    {
    }

    /// <summary>
    /// A WebSocket opening handshake (HTTP/1.1 Upgrade, or HTTP/2 extended CONNECT) for <paramref name="path"/> with or
    /// without its trailing slash, the paths the endpoint's route matches. Read from the request itself: the
    /// platform's WebSocket feature exists only once the WebSocket middleware has run.
    /// </summary>
    public static bool IsWebSocketRequestFor(HttpContext context, string path)
    {
        var requestPath = context.Request.Path.Value;
        if (requestPath is null
            || !requestPath.StartsWith(path, StringComparison.OrdinalIgnoreCase)
            || requestPath.Length > path.Length + 1
            || (requestPath.Length == path.Length + 1 && requestPath[^1] != '/'))
        {
            return false;
        }

        if (context.Features.Get<IHttpExtendedConnectFeature>() is { IsExtendedConnect: true } connect)
        {
            return string.Equals(connect.Protocol, "websocket", StringComparison.OrdinalIgnoreCase);
        }

        return context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true }
            && string.Equals(context.Request.Headers.Upgrade, "websocket", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The endpoint carrying <see cref="Marker"/>, or null before it is mapped.</summary>
    public static Endpoint? Find(IEndpointRouteBuilder endpoints) =>
        endpoints.DataSources.SelectMany(source => source.Endpoints)
            .FirstOrDefault(endpoint => endpoint.Metadata.GetMetadata<RealtimeEndpoint>() is not null);
}
