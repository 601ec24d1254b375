using System.Text;

namespace Raven.Testing.Internal;

/// <summary>
/// The events of one Node-side client. A wait takes the first matching event that no earlier wait took,
/// so consecutive waits for the same name step through consecutive events.
/// </summary>
internal sealed class ClientEventLog(string client)
{
    private readonly Lock _lock = new();
    private readonly List<DriverEvent> _events = [];
    private readonly List<bool> _taken = [];
    private readonly List<Waiter> _waiters = [];
    private Exception? _failure;

    public string Client { get; } = client;

    public IReadOnlyList<DriverEvent> Snapshot()
    {
        lock (_lock)
        {
            return [.. _events];
        }
    }

    public void Add(DriverEvent e)
    {
        Waiter? matched = null;
        lock (_lock)
        {
            _events.Add(e);
            _taken.Add(false);
            foreach (var w in _waiters)
            {
                if (w.Match(e))
                {
                    matched = w;
                    _taken[^1] = true;
                    _waiters.Remove(w);
                    break;
                }
            }
        }

        matched?.Signal.TrySetResult(e);
    }

    /// <summary>The driver went away: pending and future waits fail at once instead of timing out.</summary>
    public void Fail(Exception failure)
    {
        List<Waiter> waiters;
        lock (_lock)
        {
            _failure ??= failure;
            waiters = [.. _waiters];
            _waiters.Clear();
        }

        foreach (var w in waiters)
        {
            w.Signal.TrySetException(new InvalidOperationException($"{failure.Message}\n{Describe()}", failure));
        }
    }

    public async Task<DriverEvent> WaitAsync(Func<DriverEvent, bool> match, TimeSpan timeout, string what, Func<string> diagnostics)
    {
        var waiter = new Waiter(match, new TaskCompletionSource<DriverEvent>(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (_lock)
        {
            for (var i = 0; i < _events.Count; i++)
            {
                if (!_taken[i] && match(_events[i]))
                {
                    _taken[i] = true;
                    return _events[i];
                }
            }

            if (_failure is not null)
            {
                throw new InvalidOperationException($"Waiting for {what} on client '{Client}': {_failure.Message}\n{Describe()}{diagnostics()}", _failure);
            }

            _waiters.Add(waiter);
        }

        if (await Task.WhenAny(waiter.Signal.Task, Task.Delay(timeout)).ConfigureAwait(false) == waiter.Signal.Task)
        {
            return await waiter.Signal.Task.ConfigureAwait(false);
        }

        lock (_lock)
        {
            _waiters.Remove(waiter);
        }

        // It may have completed between the delay and the removal.
        if (waiter.Signal.Task.IsCompletedSuccessfully)
        {
            return waiter.Signal.Task.Result;
        }

        throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting for {what} on client '{Client}'.\n{Describe()}{diagnostics()}");
    }

    public string Describe(int last = 25)
    {
        var events = Snapshot();
        var sb = new StringBuilder();
        sb.Append($"Events of '{Client}' ({events.Count} total");
        if (events.Count > last)
        {
            sb.Append($", last {last} shown");
        }

        sb.Append("):");
        if (events.Count == 0)
        {
            sb.Append(" none");
        }

        foreach (var e in events.Skip(Math.Max(0, events.Count - last)))
        {
            sb.Append("\n  ").Append(e);
        }

        return sb.Append('\n').ToString();
    }

    private sealed record Waiter(Func<DriverEvent, bool> Match, TaskCompletionSource<DriverEvent> Signal);
}
