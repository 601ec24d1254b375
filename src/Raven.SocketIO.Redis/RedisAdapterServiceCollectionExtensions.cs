using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Raven.SocketIO.Redis.Internal;

namespace Raven.SocketIO.Redis;

/// <summary>Puts the Socket.IO server on Redis.</summary>
public static class RedisAdapterServiceCollectionExtensions
{
    /// <summary>
    /// Makes every namespace use a <see cref="RedisAdapter"/>, so this server and every other one on the same Redis
    /// (Raven or Node with <c>@socket.io/redis-adapter</c>) act as one. Call after or before <c>AddSocketIO()</c>.
    /// </summary>
    /// <example><code>builder.Services.AddSocketIO().AddRedisAdapter(o => o.Configuration = "redis://127.0.0.1:6379");</code></example>
    public static IServiceCollection AddRedisAdapter(this IServiceCollection services, Action<RedisAdapterOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.Configure(configure);
        services.TryAddSingleton<RedisAdapterConnection>();
        services.AddOptions<SocketIOOptions>().Configure<RedisAdapterConnection, IOptions<RedisAdapterOptions>, ILoggerFactory>((io, connection, options, loggers) =>
        {
            var logger = loggers.CreateLogger<RedisAdapter>();
            var json = io.JsonSerializerOptions;
            io.AdapterFactory = nsp => new RedisAdapter(nsp, connection, options.Value, json, logger);
        });
        return services;
    }

    /// <summary>Same as <see cref="AddRedisAdapter(IServiceCollection, Action{RedisAdapterOptions})"/> with a Redis URL or configuration string.</summary>
    public static IServiceCollection AddRedisAdapter(this IServiceCollection services, string configuration) =>
        services.AddRedisAdapter(o => o.Configuration = configuration);
}
