namespace Raven.SocketIO.Redis.Internal;

/// <summary>
/// A request to the other servers that collects one answer from each (fetch sockets: their sockets; a server-side emit
/// with acks: its answer): done when all answered or at the timeout.
/// </summary>
internal sealed class PendingResponses<T>(int expected)
{
    private readonly Lock _gate = new();
    private readonly List<T> _items = [];
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _answers;

    public int Expected => expected;

    public int Answers
    {
        get
        {
            lock (_gate)
            {
                return _answers;
            }
        }
    }

    public Task Done => _done.Task;

    /// <summary>One server's answer.</summary>
    public void Add(IEnumerable<T> items)
    {
        lock (_gate)
        {
            _items.AddRange(items);
            if (++_answers >= expected)
            {
                _done.TrySetResult();
            }
        }
    }

    public T[] Snapshot()
    {
        lock (_gate)
        {
            return [.. _items];
        }
    }
}

/// <summary>
/// A broadcast with acks this server sent: counts the servers that reported their client counts. The local part
/// reports its count plus one "hold" so the caller cannot finish before the remote counts are in; the hold is
/// released (a count of -1) once every expected server answered, or at the timeout.
/// </summary>
internal sealed class PendingBroadcastAck(Action<int> clientCount, Action<SocketIOArguments?> ack)
{
    private int _servers;
    private int _expectedServers = -1;
    private int _released;

    public void OnClientCount(int count)
    {
        clientCount(count);
        Interlocked.Increment(ref _servers);
        ReleaseIfComplete();
    }

    public void OnAck(SocketIOArguments? arguments) => ack(arguments);

    public void ExpectServers(int count)
    {
        Volatile.Write(ref _expectedServers, count);
        ReleaseIfComplete();
    }

    public void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            clientCount(-1);
        }
    }

    private void ReleaseIfComplete()
    {
        var expected = Volatile.Read(ref _expectedServers);
        if (expected >= 0 && Volatile.Read(ref _servers) >= expected)
        {
            Release();
        }
    }
}
