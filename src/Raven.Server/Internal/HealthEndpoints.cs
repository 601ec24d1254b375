using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Raven.Server.Internal;

/// <summary>
/// <c>/healthz/live</c> (the process answers HTTP; no dependency is checked, so a store outage never gets the
/// process restarted), <c>/healthz/ready</c> (every check tagged <see cref="ReadyTag"/>: the chat store, Redis when
/// configured, and "not shutting down") and <c>/healthz</c> (every check; kept for existing probes).
/// </summary>
internal static class HealthEndpoints
{
    /// <summary>Tag of the checks that gate readiness. Register more with <c>AddCheck(..., tags: [ReadyTag])</c>.</summary>
    public const string ReadyTag = "ready";

    public static IHealthChecksBuilder AddRavenHealthChecks(this IServiceCollection services) =>
        services.AddHealthChecks()
            .AddCheck<ChatStoreHealthCheck>("chat-store", tags: [ReadyTag])
            .AddCheck<ShutdownHealthCheck>("not-stopping", tags: [ReadyTag]);

    public static void MapRavenHealthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks("/healthz", new HealthCheckOptions { ResponseWriter = WriteAsync });
        endpoints.MapHealthChecks("/healthz/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync });
        endpoints.MapHealthChecks("/healthz/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(ReadyTag),
            ResponseWriter = WriteAsync,
        });
    }

    // {"status":"ok"|"unhealthy","checks":{"chat-store":"ok",...}}: names and verdicts only, never exception text.
    private static Task WriteAsync(HttpContext context, HealthReport report) =>
        context.Response.WriteAsJsonAsync(new
        {
            status = Verdict(report.Status),
            checks = report.Entries.ToDictionary(e => e.Key, e => Verdict(e.Value.Status)),
        });

    private static string Verdict(HealthStatus status) => status == HealthStatus.Healthy ? "ok" : "unhealthy";
}

/// <summary>Unhealthy once shutdown has begun, so a load balancer stops routing new clients here first.</summary>
internal sealed class ShutdownHealthCheck(IHostApplicationLifetime lifetime) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(lifetime.ApplicationStopping.IsCancellationRequested
            ? HealthCheckResult.Unhealthy("The server is shutting down.")
            : HealthCheckResult.Healthy());
}
