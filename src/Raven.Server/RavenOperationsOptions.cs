using Microsoft.Extensions.Configuration;

namespace Raven.Server;

/// <summary>Operational settings: metrics export and shutdown (see docs/operations.md).</summary>
public sealed class RavenOperationsOptions
{
    /// <summary>Serves the Prometheus scrape endpoint <c>/metrics</c>. Off by default.</summary>
    [ConfigurationKeyName("METRICS_ENABLED")]
    public bool MetricsEnabled { get; set; }

    /// <summary>
    /// Whether <c>/metrics</c> answers clients other than loopback. Off by default: metrics reveal traffic
    /// patterns, so only a scraper on the same host (or a sidecar) reads them unless this is set.
    /// </summary>
    [ConfigurationKeyName("METRICS_ALLOW_REMOTE")]
    public bool MetricsAllowRemote { get; set; }

    /// <summary>
    /// How long a SIGTERM may take: in-flight chat writes and HTTP requests get this long to finish before the
    /// process exits anyway. Default 15 seconds (container runtimes usually send SIGKILL after 30).
    /// </summary>
    [ConfigurationKeyName("SHUTDOWN_TIMEOUT_SECONDS")]
    public int ShutdownTimeoutSeconds { get; set; } = 15;

    /// <summary>The shutdown bound as a time span.</summary>
    public TimeSpan ShutdownTimeout => TimeSpan.FromSeconds(ShutdownTimeoutSeconds);

    /// <summary>Every problem with the values, as messages naming the setting; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (ShutdownTimeoutSeconds is < 1 or > 3600)
        {
            errors.Add($"SHUTDOWN_TIMEOUT_SECONDS is {ShutdownTimeoutSeconds}; set it between 1 and 3600 (seconds a SIGTERM may take).");
        }

        return errors;
    }
}
