using System.Threading.RateLimiting;
using Raven.Server.Internal;

namespace Raven.Server.Auth.Internal;

/// <summary>
/// Bounds password hashing (PBKDF2, ~100 ms of CPU at the default cost): at most PASSWORD_HASH_CONCURRENCY hashes at
/// once (default: half the cores, so the rest of the server keeps running) and PASSWORD_HASH_QUEUE waiting; beyond
/// that a request gets 503 SERVER_BUSY immediately instead of queueing CPU work an unauthenticated client asked for.
/// </summary>
internal sealed class PasswordHashGate(RavenServerOptions options) : IDisposable
{
    private readonly ConcurrencyLimiter _limiter = new(new ConcurrencyLimiterOptions
    {
        PermitLimit = options.PasswordHashConcurrency > 0 ? options.PasswordHashConcurrency : Math.Max(1, Environment.ProcessorCount / 2),
        QueueLimit = options.PasswordHashQueue,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
    });

    public async Task<T> RunAsync<T>(Func<Task<T>> work, CancellationToken ct)
    {
        using var lease = await _limiter.AcquireAsync(1, ct);
        if (!lease.IsAcquired)
        {
            throw new ApiException(StatusCodes.Status503ServiceUnavailable, "SERVER_BUSY", "The server is busy checking passwords; try again shortly.")
            {
                RetryAfter = 1,
            };
        }

        return await work();
    }

    public void Dispose() => _limiter.Dispose();
}
