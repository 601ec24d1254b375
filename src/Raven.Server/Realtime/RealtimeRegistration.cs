using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Raven.Server.Realtime.Internal;
using Raven.SocketIO;
using Raven.SocketIO.Redis;
using StackExchange.Redis;

namespace Raven.Server.Realtime;

/// <summary>Registers the Socket.IO layer (services and the <c>/socket.io/</c> endpoint) of the chat server.</summary>
internal static class RealtimeRegistration
{
    public static void AddRealtime(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSocketIO(io =>
        {
            // The standard socket.io settings, spelled out because clients and the bench rely on them.
            io.EngineIO.PingInterval = TimeSpan.FromMilliseconds(25000);
            io.EngineIO.PingTimeout = TimeSpan.FromMilliseconds(20000);
            io.EngineIO.MaxHttpBufferSize = 1_000_000;
            // A session keeps only the handshake headers the chat reads (the token sources and the cookie's origin
            // check), so up to MaxPendingSessions unconnected sessions cannot each hold a fat request's headers.
            io.EngineIO.HandshakeHeaders.Clear();
            foreach (var header in (string[])["cookie", "authorization", "origin", "host"])
            {
                io.EngineIO.HandshakeHeaders.Add(header);
            }

            // CORS comes from the app's CORS middleware (the REST policy from CORS_ORIGIN), which runs for
            // /socket.io/ too.
        });
        services.AddOptions<SocketIOOptions>().Configure<IOptions<RavenServerOptions>>((io, server) =>
        {
            var limits = io.EngineIO.Limits;
            limits.MaxSessions = server.Value.SocketMaxSessions;
            limits.MaxPendingSessions = server.Value.SocketMaxPendingSessions;
            limits.MaxSessionsPerAddress = server.Value.SocketMaxSessionsPerIp;
            limits.HandshakesPerSecondPerAddress = server.Value.SocketHandshakesPerSecondPerIp;
            limits.HandshakeBurstPerAddress = server.Value.SocketHandshakesPerSecondPerIp * 10;
            limits.ApplyToLoopback = server.Value.SocketLimitsLoopback;
        });

        // REDIS_URL: several nodes act as one: broadcasts, room changes and fetches cross through the Redis adapter
        // (wire-compatible with @socket.io/redis-adapter), and presence is counted in Redis (see RedisPresenceTracker).
        var redisUrl = builder.Configuration["REDIS_URL"];
        if (!string.IsNullOrWhiteSpace(redisUrl))
        {
            var redisOptions = RedisConnectionString.Parse(redisUrl);
            services.TryAddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(redisOptions));
            services.AddRedisAdapter(o => o.ConnectionFactory = sp => sp.GetRequiredService<IConnectionMultiplexer>());
            services.TryAddSingleton<IPresenceTracker, RedisPresenceTracker>();
        }

        // TryAdd: a test or a multi-node deployment may have registered its own before the server's registrations.
        services.TryAddSingleton<IPresenceTracker, InMemoryPresenceTracker>();
        services.TryAddSingleton<IPresenceService, TrackerPresenceService>();
        services.TryAddSingleton<MembershipGate>();
        services.TryAddSingleton<SocketChatNotifier>();
        services.TryAddSingleton<IChatNotifier>(sp => sp.GetRequiredService<SocketChatNotifier>());
        services.TryAddSingleton<SocketAbuseGuard>();
        services.TryAddSingleton<HandshakeTokens>();
        services.TryAddSingleton<ChatSocketHandlers>();
        services.TryAddSingleton<RevocationRelay>();
    }

    public static void MapRealtime(this WebApplication app)
    {
        var io = app.Services.GetRequiredService<SocketIOServer>();
        var handlers = app.Services.GetRequiredService<ChatSocketHandlers>();
        io.Use(handlers.AuthenticateAsync);
        io.OnConnection(handlers.OnConnectedAsync);
        if (app.Services.GetRequiredService<IPresenceTracker>() is RedisPresenceTracker shared)
        {
            // Users of a node that died went offline without a disconnect here: announce them too.
            shared.UsersTimedOut += userId => handlers.AnnounceAsync(userId, online: false);
        }

        app.Services.GetRequiredService<RevocationRelay>().Start();
        app.MapSocketIO(EndpointPath).WithMetadata(RealtimeEndpoint.Marker);
    }

    /// <summary>
    /// Sends WebSocket requests for the realtime endpoint straight to it, ahead of the REST pipeline (error pages,
    /// authentication, authorization, CORS, rate limits). A WebSocket request lives as long as its connection, and
    /// every middleware it passes keeps its per-request state for that long (~2 KB per connection, measured with
    /// dotnet-gcdump); none of them applies to it: sockets authenticate with the CONNECT token or the cookie
    /// (HandshakeTokens, with its own origin check), browsers do not apply CORS to WebSockets, and the endpoint
    /// has no rate-limit policy. Polling requests still take the whole pipeline (they need CORS).
    /// Call after <c>UseForwardedHeaders</c>, so per-address session limits see the client's address.
    /// </summary>
    public static void UseRealtimeWebSockets(this WebApplication app)
    {
        var endpoints = (IEndpointRouteBuilder)app;
        Endpoint? realtime = null;
        app.Use(next => context =>
        {
            if (!RealtimeEndpoint.IsWebSocketRequestFor(context, EndpointPath))
            {
                return next(context);
            }

            realtime ??= RealtimeEndpoint.Find(endpoints);
            if (realtime?.RequestDelegate is not { } handle)
            {
                return next(context);
            }

            context.SetEndpoint(realtime);
            return handle(context);
        });
    }

    private const string EndpointPath = "/socket.io";
}
