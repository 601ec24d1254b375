using Microsoft.Extensions.Diagnostics.HealthChecks;
using Raven.Chat;

namespace Raven.Server.Internal;

/// <summary>Healthy when the chat store answers a query (a lookup of an id that cannot exist).</summary>
internal sealed class ChatStoreHealthCheck(IChatService chat) : IHealthCheck
{
    private const string ProbeId = "000000000000000000000000";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await chat.FindUserAsync(ProbeId, cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("The chat store did not answer.", ex);
        }
    }
}
