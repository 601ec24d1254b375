using Raven.SocketIO.Adapter;
using Raven.SocketIO.Protocol;

namespace Raven.SocketIO;

/// <summary>
/// A broadcast target being built: <c>io.To("a").Except("b").Emit(...)</c>. Immutable; every operator returns a new one.
/// The packet is encoded once and the same bytes are queued on every recipient.
/// </summary>
public sealed class BroadcastOperator
{
    private readonly SocketNamespace _nsp;
    private readonly string[] _rooms;
    private readonly string[] _except;
    private readonly BroadcastFlags _flags;

    internal BroadcastOperator(SocketNamespace nsp, string[] rooms, string[] except, BroadcastFlags flags)
    {
        _nsp = nsp;
        _rooms = rooms;
        _except = except;
        _flags = flags;
    }

    /// <summary>Adds a target room (sockets in any target room are reached).</summary>
    public BroadcastOperator To(string room) => new(_nsp, [.. _rooms, room], _except, _flags);

    /// <summary>Adds several target rooms.</summary>
    public BroadcastOperator To(IEnumerable<string> rooms) => new(_nsp, [.. _rooms, .. rooms], _except, _flags);

    /// <summary>Same as <see cref="To(string)"/>.</summary>
    public BroadcastOperator In(string room) => To(room);

    /// <summary>Excludes the sockets in <paramref name="room"/> (a socket id excludes that socket).</summary>
    public BroadcastOperator Except(string room) => new(_nsp, _rooms, [.. _except, room], _flags);

    /// <summary>Excludes several rooms.</summary>
    public BroadcastOperator Except(IEnumerable<string> rooms) => new(_nsp, _rooms, [.. _except, .. rooms], _flags);

    /// <summary>The packet may be dropped for recipients whose send queue is full, instead of closing them.</summary>
    public BroadcastOperator Volatile => new(_nsp, _rooms, _except, _flags with { Volatile = true });

    /// <summary>Only sockets connected to this server (matters with a multi-server adapter).</summary>
    public BroadcastOperator Local => new(_nsp, _rooms, _except, _flags with { Local = true });

    /// <summary>Sets the acknowledgement timeout for <see cref="EmitWithAckAsync"/>.</summary>
    public BroadcastOperator Timeout(TimeSpan timeout) => new(_nsp, _rooms, _except, _flags with { Timeout = timeout });

    internal BroadcastOptions Options => new(_rooms, _except, _flags);

    /// <summary>Emits to every targeted socket.</summary>
    public void Emit(string eventName, params object?[] args)
    {
        var options = Options;
        foreach (var nsp in _nsp.Targets())
        {
            var packet = SocketPacketWriter.EncodeEvent(nsp.Name, eventName, args, -1, nsp.Server.JsonOptions);
            nsp.Adapter.Broadcast(packet, options);
        }
    }

    /// <summary>
    /// Emits to every targeted socket and collects their acknowledgements. Completes when all have answered;
    /// throws <see cref="AckTimeoutException"/> (with the answers so far) after <see cref="Timeout"/>, if set.
    /// </summary>
    public async Task<IReadOnlyList<SocketIOArguments>> EmitWithAckAsync(string eventName, params object?[] args)
    {
        var options = Options;
        var collector = new AckCollector();
        foreach (var nsp in _nsp.Targets())
        {
            var id = nsp.NextAckId();
            var packet = SocketPacketWriter.EncodeEvent(nsp.Name, eventName, args, id, nsp.Server.JsonOptions);
            collector.AddPending();
            nsp.Adapter.BroadcastWithAck(packet, id, options, collector.AddExpected, collector.Add);
            collector.DonePending();
        }

        var timeout = _flags.Timeout ?? System.Threading.Timeout.InfiniteTimeSpan;
        try
        {
            return await collector.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new AckTimeoutException(collector.Snapshot());
        }
    }

    /// <summary>The targeted sockets (local and, with a multi-server adapter, remote).</summary>
    public async Task<IReadOnlyList<RemoteSocket>> FetchSocketsAsync()
    {
        var result = new List<RemoteSocket>();
        foreach (var nsp in _nsp.Targets())
        {
            result.AddRange(await nsp.Adapter.FetchSocketsAsync(Options));
        }

        return result;
    }

    /// <summary>Makes the targeted sockets join <paramref name="rooms"/>.</summary>
    public async Task SocketsJoinAsync(params string[] rooms)
    {
        foreach (var nsp in _nsp.Targets())
        {
            await nsp.Adapter.AddSocketsAsync(Options, rooms);
        }
    }

    /// <summary>Makes the targeted sockets leave <paramref name="rooms"/>.</summary>
    public async Task SocketsLeaveAsync(params string[] rooms)
    {
        foreach (var nsp in _nsp.Targets())
        {
            await nsp.Adapter.DelSocketsAsync(Options, rooms);
        }
    }

    /// <summary>Disconnects the targeted sockets (and closes their connections with <paramref name="close"/>).</summary>
    public async Task DisconnectSocketsAsync(bool close = false)
    {
        foreach (var nsp in _nsp.Targets())
        {
            await nsp.Adapter.DisconnectSocketsAsync(Options, close);
        }
    }

    /// <summary>Counts expected vs received acknowledgements; complete once the sends are done and all answered.</summary>
    private sealed class AckCollector
    {
        private readonly object _gate = new();
        private readonly List<SocketIOArguments> _responses = [];
        private readonly TaskCompletionSource<IReadOnlyList<SocketIOArguments>> _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _expected;
        private int _pending;

        public Task<IReadOnlyList<SocketIOArguments>> Task => _tcs.Task;

        public void AddPending()
        {
            lock (_gate)
            {
                _pending++;
            }
        }

        public void DonePending()
        {
            lock (_gate)
            {
                _pending--;
                CheckDone();
            }
        }

        public void AddExpected(int count)
        {
            lock (_gate)
            {
                _expected += count;
                CheckDone();
            }
        }

        public void Add(SocketIOArguments? response)
        {
            if (response is null)
            {
                // The socket disconnected: Node keeps waiting (and times out); so do we.
                return;
            }

            lock (_gate)
            {
                _responses.Add(response);
                CheckDone();
            }
        }

        public IReadOnlyList<SocketIOArguments> Snapshot()
        {
            lock (_gate)
            {
                return _responses.ToArray();
            }
        }

        private void CheckDone()
        {
            if (_pending == 0 && _responses.Count >= _expected)
            {
                _tcs.TrySetResult(_responses.ToArray());
            }
        }
    }
}
