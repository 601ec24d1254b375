using Raven.Chat;
using Raven.Server.Internal;

namespace Raven.Server.Auth.Internal;

/// <summary>Deletes expired refresh sessions at start-up and then hourly, so the table holds only live families.</summary>
internal sealed class RefreshSessionPruner(IRefreshSessionStore store, ILogger<RefreshSessionPruner> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    public async Task<int> PruneOnceAsync(CancellationToken ct)
    {
        var removed = await store.PruneExpiredAsync(ct);
        if (removed > 0)
        {
            ServerLog.RefreshSessionsPruned(logger, removed);
        }

        return removed;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                await PruneOnceAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                ServerLog.RefreshSessionPruneFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
