using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Raven.EngineIO.Internal;

namespace Raven.EngineIO;

/// <summary>Registers Engine.IO services and maps Engine.IO endpoints.</summary>
public static class EngineIOEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Optional: sets defaults shared by every Engine.IO endpoint of the app; each
    /// <see cref="MapEngineIO(IEndpointRouteBuilder, string, IEngineIOHandler, Action{EngineIOOptions}?)"/> call
    /// starts from them and applies its own configuration on top.
    /// </summary>
    public static IServiceCollection AddEngineIO(this IServiceCollection services, Action<EngineIOOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = services.AddOptions<EngineIOOptions>();
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        return services;
    }

    /// <summary>
    /// Maps an Engine.IO v4 endpoint at <paramref name="pattern"/> (e.g. <c>/engine.io/</c>; the path matches with
    /// or without its trailing slash) serving both transports. WebSocket requests need no extra middleware.
    /// Sessions close with "server shutting down" when the host stops.
    /// </summary>
    public static IEndpointConventionBuilder MapEngineIO(
        this IEndpointRouteBuilder endpoints,
        string pattern,
        IEngineIOHandler handler,
        Action<EngineIOOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return endpoints.MapEngineIO(pattern, _ => handler, configure);
    }

    /// <summary>
    /// Maps an Engine.IO v4 endpoint whose handler is created from the app's services on first use.
    /// </summary>
    public static IEndpointConventionBuilder MapEngineIO(
        this IEndpointRouteBuilder endpoints,
        string pattern,
        Func<IServiceProvider, IEngineIOHandler> handlerFactory,
        Action<EngineIOOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        ArgumentNullException.ThrowIfNull(handlerFactory);

        var services = endpoints.ServiceProvider;
        var options = services.GetService<IOptionsFactory<EngineIOOptions>>()?.Create(Options.DefaultName) ?? new EngineIOOptions();
        configure?.Invoke(options);
        options.Validate();

        var logger = services.GetService<ILoggerFactory>()?.CreateLogger("Raven.EngineIO") ?? NullLogger.Instance;
        var server = new EngineServer(options, () => handlerFactory(services), logger);
        services.GetService<IHostApplicationLifetime>()?.ApplicationStopping.Register(server.Shutdown);

        return endpoints.Map(pattern.TrimEnd('/') is { Length: > 0 } trimmed ? trimmed : "/", server.HandleAsync)
            .WithDisplayName("Engine.IO " + pattern);
    }
}
