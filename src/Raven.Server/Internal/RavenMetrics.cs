using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Raven.Server.Internal;

/// <summary>
/// The instruments of meter <c>Raven.Server</c> (docs/operations.md lists them). Created through
/// <see cref="IMeterFactory"/>, so each host has its own meter.
/// </summary>
internal sealed class RavenMetrics
{
    public const string MeterName = "Raven.Server";

    private readonly Counter<long> _messagesStored;
    private readonly Histogram<double> _storeDuration;
    private readonly Counter<long> _authFailures;
    private readonly Counter<long> _rateLimitRejections;
    private long _inFlight;

    public RavenMetrics(IMeterFactory factory)
    {
        var meter = factory.Create(MeterName);
        _messagesStored = meter.CreateCounter<long>("raven.chat.messages.stored", "{message}", "Chat messages written to the store.");
        _storeDuration = meter.CreateHistogram<double>(
            "raven.chat.store.duration", "s", "Duration of chat store operations, by operation and outcome.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });
        _authFailures = meter.CreateCounter<long>("raven.auth.failures", "{failure}", "Failed authentications, by error code.");
        _rateLimitRejections = meter.CreateCounter<long>("raven.rate_limit.rejections", "{request}", "Requests refused by a rate limit, by policy.");
        meter.CreateObservableUpDownCounter("raven.chat.store.in_flight", () => Volatile.Read(ref _inFlight), "{operation}", "Chat store operations running now.");
    }

    /// <summary>Chat store operations running now (what a graceful shutdown waits for).</summary>
    public long InFlight => Volatile.Read(ref _inFlight);

    public void MessageStored() => _messagesStored.Add(1);

    public void AuthFailed(string code) => _authFailures.Add(1, new KeyValuePair<string, object?>("raven.auth.code", code));

    public void RateLimitRejected(string policy) => _rateLimitRejections.Add(1, new KeyValuePair<string, object?>("raven.rate_limit.policy", policy));

    /// <summary>Starts timing a store operation; pass the result to <see cref="StoreOperationEnded"/>.</summary>
    public long StoreOperationStarted()
    {
        Interlocked.Increment(ref _inFlight);
        return Stopwatch.GetTimestamp();
    }

    public void StoreOperationEnded(long started, string operation, string outcome)
    {
        Interlocked.Decrement(ref _inFlight);
        _storeDuration.Record(
            Stopwatch.GetElapsedTime(started).TotalSeconds,
            new KeyValuePair<string, object?>("raven.chat.operation", operation),
            new KeyValuePair<string, object?>("raven.chat.outcome", outcome));
    }
}
