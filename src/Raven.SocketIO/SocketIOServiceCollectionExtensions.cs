using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Raven.SocketIO;

/// <summary>Registers the Socket.IO server.</summary>
public static class SocketIOServiceCollectionExtensions
{
    /// <summary>Adds <see cref="SocketIOServer"/> as a singleton, configured by <paramref name="configure"/>.</summary>
    public static IServiceCollection AddSocketIO(this IServiceCollection services, Action<SocketIOOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<SocketIOOptions>();
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.TryAddSingleton<SocketIOServer>();
        return services;
    }
}
