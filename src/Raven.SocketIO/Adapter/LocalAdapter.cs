using System.Buffers;

namespace Raven.SocketIO.Adapter;

/// <summary>The in-process adapter: rooms in memory, broadcasts to this server's sockets only.</summary>
public class LocalAdapter : SocketIOAdapter
{
    private readonly object _gate = new();
    private readonly Dictionary<string, HashSet<string>> _rooms = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _sids = new(StringComparer.Ordinal);
    private long _stamp;

    public LocalAdapter(SocketNamespace nsp)
        : base(nsp)
    {
    }

    /// <inheritdoc/>
    public override void AddAll(string socketId, IReadOnlyCollection<string> rooms)
    {
        lock (_gate)
        {
            if (!_sids.TryGetValue(socketId, out var socketRooms))
            {
                _sids[socketId] = socketRooms = new HashSet<string>(StringComparer.Ordinal);
            }

            foreach (var room in rooms)
            {
                socketRooms.Add(room);
                if (!_rooms.TryGetValue(room, out var members))
                {
                    _rooms[room] = members = new HashSet<string>(StringComparer.Ordinal);
                }

                members.Add(socketId);
            }
        }
    }

    /// <inheritdoc/>
    public override void Del(string socketId, string room)
    {
        lock (_gate)
        {
            if (_sids.TryGetValue(socketId, out var socketRooms))
            {
                socketRooms.Remove(room);
            }

            RemoveMember(room, socketId);
        }
    }

    /// <inheritdoc/>
    public override void DelAll(string socketId)
    {
        lock (_gate)
        {
            if (!_sids.Remove(socketId, out var socketRooms))
            {
                return;
            }

            foreach (var room in socketRooms)
            {
                RemoveMember(room, socketId);
            }
        }
    }

    /// <inheritdoc/>
    public override IReadOnlySet<string>? GetSocketRooms(string socketId)
    {
        lock (_gate)
        {
            return _sids.TryGetValue(socketId, out var rooms) ? new HashSet<string>(rooms, StringComparer.Ordinal) : null;
        }
    }

    /// <inheritdoc/>
    public override int GetSocketRoomCount(string socketId)
    {
        lock (_gate)
        {
            return _sids.TryGetValue(socketId, out var rooms) ? rooms.Count : 0;
        }
    }

    /// <inheritdoc/>
    public override bool IsInRoom(string socketId, string room)
    {
        lock (_gate)
        {
            return _sids.TryGetValue(socketId, out var rooms) && rooms.Contains(room);
        }
    }

    /// <inheritdoc/>
    public override IReadOnlySet<string> GetRoomMembers(string room)
    {
        lock (_gate)
        {
            return _rooms.TryGetValue(room, out var members) ? new HashSet<string>(members, StringComparer.Ordinal) : new HashSet<string>();
        }
    }

    /// <summary>All rooms that currently have local members (a snapshot).</summary>
    public IReadOnlySet<string> GetRooms()
    {
        lock (_gate)
        {
            return new HashSet<string>(_rooms.Keys, StringComparer.Ordinal);
        }
    }

    /// <inheritdoc/>
    public override void Broadcast(EncodedPacket packet, BroadcastOptions options)
    {
        var isVolatile = options.Flags.Volatile;
        var (targets, count) = CollectTargets(options);
        try
        {
            for (var i = 0; i < count; i++)
            {
                targets[i].TrySendPacket(packet, isVolatile);
            }
        }
        finally
        {
            ReturnTargets(targets, count);
        }

        Namespace.Server.Metrics.Broadcast(packet.Type, count);
    }

    /// <inheritdoc/>
    public override void BroadcastWithAck(EncodedPacket packet, long ackId, BroadcastOptions options, Action<int> clientCount, Action<SocketIOArguments?> ack)
    {
        var (targets, count) = CollectTargets(options);
        var reached = 0;
        try
        {
            for (var i = 0; i < count; i++)
            {
                var socket = targets[i];
                socket.RegisterAck(ackId, ack);
                if (socket.TrySendPacket(packet, options.Flags.Volatile))
                {
                    reached++;
                }
                else
                {
                    socket.RemoveAck(ackId);
                }
            }
        }
        finally
        {
            ReturnTargets(targets, count);
        }

        clientCount(reached);
    }

    /// <inheritdoc/>
    public override Task<IReadOnlyList<RemoteSocket>> FetchSocketsAsync(BroadcastOptions options)
    {
        var (targets, count) = CollectTargets(options);
        try
        {
            var result = new RemoteSocket[count];
            for (var i = 0; i < count; i++)
            {
                var s = targets[i];
                result[i] = new RemoteSocket(Namespace, s.Id, s.Handshake, s.Rooms, s.Data);
            }

            return Task.FromResult<IReadOnlyList<RemoteSocket>>(result);
        }
        finally
        {
            ReturnTargets(targets, count);
        }
    }

    /// <inheritdoc/>
    public override Task AddSocketsAsync(BroadcastOptions options, IReadOnlyCollection<string> rooms)
    {
        ForEachTarget(options, s => AddAll(s.Id, rooms));
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public override Task DelSocketsAsync(BroadcastOptions options, IReadOnlyCollection<string> rooms)
    {
        ForEachTarget(options, s =>
        {
            foreach (var room in rooms)
            {
                Del(s.Id, room);
            }
        });
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public override Task DisconnectSocketsAsync(BroadcastOptions options, bool close)
    {
        ForEachTarget(options, s => s.Disconnect(close));
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public override Task ServerSideEmitAsync(EncodedPacket packet) => Task.CompletedTask;

    /// <inheritdoc/>
    /// <remarks>There is no other server, so no answer (as Node answers with an empty list).</remarks>
    public override Task<IReadOnlyList<SocketIOArguments>> ServerSideEmitWithAckAsync(EncodedPacket packet, TimeSpan? timeout)
        => Task.FromResult<IReadOnlyList<SocketIOArguments>>([]);

    /// <inheritdoc/>
    public override Task<int> ServerCountAsync() => Task.FromResult(1);

    private void ForEachTarget(BroadcastOptions options, Action<SocketIOSocket> action)
    {
        var (targets, count) = CollectTargets(options);
        try
        {
            for (var i = 0; i < count; i++)
            {
                action(targets[i]);
            }
        }
        finally
        {
            ReturnTargets(targets, count);
        }
    }

    /// <summary>
    /// Snapshots the targets into a pooled array under the lock, so sending (which may close a session and
    /// re-enter the adapter) happens outside it without copying per recipient. Exclusion and de-duplication across
    /// several rooms mark the sockets themselves with this call's stamp instead of building sets: nothing is
    /// allocated per broadcast or per recipient (the marks are only read and written under this lock, and a socket
    /// belongs to exactly one adapter).
    /// </summary>
    private (SocketIOSocket[] Targets, int Count) CollectTargets(BroadcastOptions options)
    {
        var sockets = Namespace.LocalSockets;
        var rooms = AsArray(options.Rooms);
        var except = AsArray(options.Except);
        lock (_gate)
        {
            var stamp = ++_stamp;
            foreach (var room in except)
            {
                if (_rooms.TryGetValue(room, out var members))
                {
                    foreach (var id in members)
                    {
                        if (sockets.TryGetValue(id, out var socket))
                        {
                            socket.ExcludedMark = stamp;
                        }
                    }
                }
            }

            var count = 0;
            SocketIOSocket[] targets;
            if (rooms.Length == 0)
            {
                targets = ArrayPool<SocketIOSocket>.Shared.Rent(Math.Max(1, _sids.Count));
                foreach (var id in _sids.Keys)
                {
                    if (sockets.TryGetValue(id, out var socket) && socket.ExcludedMark != stamp && socket.Connected)
                    {
                        targets[count++] = socket;
                    }
                }

                return (targets, count);
            }

            var capacity = 0;
            foreach (var room in rooms)
            {
                if (_rooms.TryGetValue(room, out var members))
                {
                    capacity += members.Count;
                }
            }

            targets = ArrayPool<SocketIOSocket>.Shared.Rent(Math.Max(1, capacity));
            var dedupe = rooms.Length > 1;
            foreach (var room in rooms)
            {
                if (!_rooms.TryGetValue(room, out var members))
                {
                    continue;
                }

                foreach (var id in members)
                {
                    if (sockets.TryGetValue(id, out var socket)
                        && socket.ExcludedMark != stamp
                        && (!dedupe || socket.SelectedMark != stamp)
                        && socket.Connected)
                    {
                        socket.SelectedMark = stamp;
                        targets[count++] = socket;
                    }
                }
            }

            return (targets, count);
        }
    }

    /// <summary>Operators hand over arrays; iterating those directly avoids a boxed enumerator per broadcast.</summary>
    private static string[] AsArray(IReadOnlyCollection<string> rooms) => rooms as string[] ?? [.. rooms];

    private static void ReturnTargets(SocketIOSocket[] targets, int count)
    {
        Array.Clear(targets, 0, count);
        ArrayPool<SocketIOSocket>.Shared.Return(targets);
    }

    private void RemoveMember(string room, string socketId)
    {
        if (_rooms.TryGetValue(room, out var members) && members.Remove(socketId) && members.Count == 0)
        {
            _rooms.Remove(room);
        }
    }
}
