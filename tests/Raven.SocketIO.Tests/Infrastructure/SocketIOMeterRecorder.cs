using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace Raven.SocketIO.Tests.Infrastructure;

/// <summary>
/// Sums the <c>Raven.SocketIO</c> measurements of one app (its <see cref="IMeterFactory"/> is the meters' scope), by
/// instrument and tag value, so tests running in parallel do not see each other's.
/// </summary>
public sealed class SocketIOMeterRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _totals = new();

    public SocketIOMeterRecorder(IServiceProvider services)
    {
        var scope = services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == SocketIOServer.MeterName && ReferenceEquals(instrument.Meter.Scope, scope))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var key = instrument.Name;
            foreach (var tag in tags)
            {
                key += "|" + tag.Value;
            }

            _totals.AddOrUpdate(key, value, (_, total) => total + value);
        });
        _listener.Start();
    }

    /// <summary>The sum for an instrument, optionally for one tag value (e.g. <c>"socketio.packets.received", "event"</c>).</summary>
    public long Total(string instrument, string? tagValue = null)
        => _totals.TryGetValue(tagValue is null ? instrument : instrument + "|" + tagValue, out var total) ? total : 0;

    public void Dispose() => _listener.Dispose();
}
