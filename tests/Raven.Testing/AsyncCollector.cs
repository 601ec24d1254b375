namespace Raven.Testing;

/// <summary>
/// Collects values produced on server threads (handler calls, disconnect reasons) for a test to await.
/// Like the driver's event waits, each wait takes the first matching value no earlier wait took.
/// </summary>
public sealed class AsyncCollector<T>
{
    private readonly Lock _lock = new();
    private readonly List<T> _items = [];
    private readonly List<bool> _taken = [];
    private readonly List<(Func<T, bool> Match, TaskCompletionSource<T> Signal)> _waiters = [];

    /// <summary>Everything added so far, in order.</summary>
    public IReadOnlyList<T> Items
    {
        get
        {
            lock (_lock)
            {
                return [.. _items];
            }
        }
    }

    public void Add(T item)
    {
        TaskCompletionSource<T>? signal = null;
        lock (_lock)
        {
            _items.Add(item);
            _taken.Add(false);
            var index = _waiters.FindIndex(w => w.Match(item));
            if (index >= 0)
            {
                signal = _waiters[index].Signal;
                _waiters.RemoveAt(index);
                _taken[^1] = true;
            }
        }

        signal?.TrySetResult(item);
    }

    /// <summary>Waits for a value satisfying <paramref name="match"/> (any value when null).</summary>
    public async Task<T> WaitAsync(Func<T, bool>? match = null, TimeSpan? timeout = null, string? what = null)
    {
        match ??= static _ => true;
        var signal = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            for (var i = 0; i < _items.Count; i++)
            {
                if (!_taken[i] && match(_items[i]))
                {
                    _taken[i] = true;
                    return _items[i];
                }
            }

            _waiters.Add((match, signal));
        }

        var limit = timeout ?? NodeDriver.DefaultTimeout;
        if (await Task.WhenAny(signal.Task, Task.Delay(limit)).ConfigureAwait(false) != signal.Task)
        {
            lock (_lock)
            {
                _waiters.RemoveAll(w => w.Signal == signal);
            }

            if (!signal.Task.IsCompletedSuccessfully)
            {
                throw new TimeoutException(
                    $"Timed out after {limit.TotalSeconds:0.#} s waiting for {what ?? "a value"}. Received so far: [{string.Join(", ", Items)}]");
            }
        }

        return await signal.Task.ConfigureAwait(false);
    }
}
