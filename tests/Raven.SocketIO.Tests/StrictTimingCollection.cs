namespace Raven.SocketIO.Tests;

/// <summary>
/// Tests held to the conformance checker's fixed heartbeat (300 ms pings, 200 ms to answer). xUnit runs a
/// collection with parallelization disabled on its own, after the parallel ones, so the 32 MB backpressure
/// flood, the fuzz test and the churn test cannot starve these of CPU: they measure the server, not the neighbours.
/// Every class here also carries <c>[Trait("Timing", "ConformanceHeartbeat")]</c>, the only tests scripts/test.sh may re-run.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StrictTimingCollection
{
    public const string Name = "Strict timing (conformance heartbeat)";
}
