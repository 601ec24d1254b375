using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
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
    /// Optional: sets defaults shared by every Engine.IO endpoint of the app (validated at startup); each
    /// <see cref="MapEngineIO(IEndpointRouteBuilder, string, IEngineIOHandler, Action{EngineIOOptions}?)"/> call
    /// starts from them and applies its own configuration on top.
    /// </summary>
    public static IServiceCollection AddEngineIO(this IServiceCollection services, Action<EngineIOOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = services.AddOptions<EngineIOOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EngineIOOptions>, EngineIOOptionsValidator>());
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        return services;
    }

    /// <summary>
    /// Maps an Engine.IO v4 endpoint at <paramref name="pattern"/> (e.g. <c>/engine.io/</c>; the path matches with
    /// or without its trailing slash) serving both transports. WebSocket requests go through ASP.NET Core's
    /// WebSocket middleware (the app's own <c>UseWebSockets()</c> if present, otherwise one run for this endpoint).
    /// Cross-origin access: chain <c>.RequireCors(...)</c>. Sessions close with "server shutting down" when the
    /// host stops.
    /// </summary>
    /// <exception cref="ArgumentException">The configured options are invalid.</exception>
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
        var services = endpoints.ServiceProvider;
        var options = services.GetService<IOptionsFactory<EngineIOOptions>>()?.Create(Options.DefaultName) ?? new EngineIOOptions();
        configure?.Invoke(options);
        return endpoints.MapEngineIO(pattern, handlerFactory, options);
    }

    /// <summary>
    /// Maps an Engine.IO v4 endpoint with a ready options object (a layer above Engine.IO, such as Socket.IO,
    /// passes the instance nested in its own options).
    /// </summary>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public static IEndpointConventionBuilder MapEngineIO(
        this IEndpointRouteBuilder endpoints,
        string pattern,
        Func<IServiceProvider, IEngineIOHandler> handlerFactory,
        EngineIOOptions options)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        ArgumentNullException.ThrowIfNull(handlerFactory);
        ArgumentNullException.ThrowIfNull(options);
        var validation = new EngineIOOptionsValidator().Validate(Options.DefaultName, options);
        if (validation.Failed)
        {
            throw new ArgumentException(validation.FailureMessage, nameof(options));
        }

        var services = endpoints.ServiceProvider;
        var loggerFactory = services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        var metrics = new EngineIOMetrics(services.GetService<IMeterFactory>());
        var server = new EngineServer(options, () => handlerFactory(services), loggerFactory.CreateLogger("Raven.EngineIO"), metrics);
        if (services.GetService<IHostApplicationLifetime>() is { } lifetime)
        {
            lifetime.ApplicationStopping.Register(server.Shutdown);
            lifetime.ApplicationStopped.Register(server.Dispose);
        }

        // The platform's WebSocket accept (RFC 6455, origin checks) for this endpoint. It does nothing when the app
        // already ran UseWebSockets(); Engine.IO's own heartbeat replaces WebSocket keep-alive pings.
        var webSockets = new WebSocketMiddleware(
            server.HandleAsync,
            Options.Create(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero }),
            loggerFactory);

        return endpoints.Map(pattern.TrimEnd('/') is { Length: > 0 } trimmed ? trimmed : "/", webSockets.Invoke)
            .WithDisplayName("Engine.IO " + pattern)
            // A long-polling GET legitimately waits a whole ping interval, and a WebSocket lives for hours.
            .DisableRequestTimeout();
    }
}
