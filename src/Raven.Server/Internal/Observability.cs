using System.Net;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using Raven.Chat;

namespace Raven.Server.Internal;

/// <summary>Metrics (OpenTelemetry, Prometheus scrape endpoint), the instrumented chat store and shutdown bounds.</summary>
internal static class Observability
{
    /// <summary>Meters exported on <c>/metrics</c>: Raven's own, then the platform's (HTTP server, Kestrel, rate limiting, runtime).</summary>
    public static readonly string[] ExportedMeters =
    [
        RavenMetrics.MeterName, "Raven.EngineIO", "Raven.SocketIO",
        "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.RateLimiting", "System.Runtime",
    ];

    public const string MetricsPath = "/metrics";

    public static WebApplicationBuilder AddRavenOperations(this WebApplicationBuilder builder, RavenOperationsOptions operations)
    {
        var services = builder.Services;
        services.AddSingleton(Options.Create(operations));
        services.Configure<HostOptions>(host => host.ShutdownTimeout = operations.ShutdownTimeout);
        services.AddMetrics();
        services.TryAddSingleton<RavenMetrics>();
        DecorateChatService(services);
        services.AddHostedService<ChatWriteDrain>();

        if (operations.MetricsEnabled)
        {
            services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(ExportedMeters).AddPrometheusExporter());
        }

        return builder;
    }

    public static void MapRavenMetrics(this WebApplication app)
    {
        var operations = app.Services.GetRequiredService<IOptions<RavenOperationsOptions>>().Value;
        if (!operations.MetricsEnabled)
        {
            return;
        }

        app.MapPrometheusScrapingEndpoint(MetricsPath, meterProvider: null, configureBranchedPipeline: branch =>
        {
            if (!operations.MetricsAllowRemote)
            {
                branch.Use((context, next) =>
                {
                    var remote = context.Connection.RemoteIpAddress;
                    if (remote is null || !IPAddress.IsLoopback(remote))
                    {
                        context.Response.StatusCode = StatusCodes.Status404NotFound;
                        return Task.CompletedTask;
                    }

                    return next(context);
                });
            }
        }, optionsName: null);
    }

    // Wraps whichever IChatService is registered (SQLite today, another store later) without knowing its type.
    private static void DecorateChatService(IServiceCollection services)
    {
        var registered = services.LastOrDefault(d => d.ServiceType == typeof(IChatService))
            ?? throw new InvalidOperationException("AddRavenOperations needs an IChatService registration (AddRavenChat first).");
        services.Replace(ServiceDescriptor.Singleton<IChatService>(sp =>
            new InstrumentedChatService(Resolve(registered, sp), sp.GetRequiredService<RavenMetrics>())));
    }

    private static IChatService Resolve(ServiceDescriptor descriptor, IServiceProvider services) =>
        (IChatService)(descriptor.ImplementationInstance
            ?? descriptor.ImplementationFactory?.Invoke(services)
            ?? ActivatorUtilities.GetServiceOrCreateInstance(services, descriptor.ImplementationType!));
}

/// <summary>
/// On shutdown, waits (bounded by <see cref="HostOptions.ShutdownTimeout"/>) until no chat store operation is in
/// flight, so a message whose handler already started is written before the database closes. The Engine.IO
/// server has closed every transport by then (ApplicationStopping), so clients see "transport close" and reconnect
/// elsewhere; a handler that finishes now stores its message but its ack cannot reach the client any more, which
/// is why clients must treat an unacknowledged send as not delivered.
/// </summary>
internal sealed class ChatWriteDrain(RavenMetrics metrics, ILogger<ChatWriteDrain> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var waiting = metrics.InFlight;
        if (waiting > 0)
        {
            ServerLog.DrainingStoreOperations(logger, waiting);
        }

        while (metrics.InFlight > 0 && !cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        if (metrics.InFlight > 0)
        {
            ServerLog.ShutdownTimedOut(logger, metrics.InFlight);
        }
    }
}
