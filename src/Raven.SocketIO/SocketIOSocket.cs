using System.Collections.Concurrent;
using System.Security.Claims;
using Raven.SocketIO.Adapter;
using Raven.SocketIO.Internal;
using Raven.SocketIO.Protocol;

namespace Raven.SocketIO;

/// <summary>
/// One client connected to one namespace. Handlers registered with <c>On</c> run one at a time, in the
/// order the client's packets arrived (each is awaited before the next starts).
/// </summary>
public sealed class SocketIOSocket
{
    private readonly object _gate = new();
    private readonly SocketEventHandlers _events = new();
    private ConcurrentDictionary<long, Action<SocketIOArguments?>>? _acks;
    private Func<SocketIOSocket, string, Task>[] _disconnecting = [];
    private Func<SocketIOSocket, string, Task>[] _disconnected = [];
    private ConcurrentDictionary<object, object?>? _items;
    private int _closed;

    internal SocketIOSocket(SocketNamespace nsp, SocketClient client, SocketHandshake handshake, string id)
    {
        Namespace = nsp;
        Client = client;
        Handshake = handshake;
        Id = id;
    }

    /// <summary>The socket id (also the name of its own room). Distinct from the Engine.IO session id.</summary>
    public string Id { get; }

    /// <summary>The namespace the socket belongs to.</summary>
    public SocketNamespace Namespace { get; }

    /// <summary>The handshake details.</summary>
    public SocketHandshake Handshake { get; }

    /// <summary>Shortcut for <see cref="SocketHandshake.User"/>.</summary>
    public ClaimsPrincipal? User => Handshake.User;

    /// <summary>True from the CONNECT reply until the socket disconnects.</summary>
    public bool Connected => System.Threading.Volatile.Read(ref _closed) == 0 && Client.Connection.IsConnected;

    /// <summary>The current Engine.IO transport (<c>polling</c> or <c>websocket</c>).</summary>
    public string Transport => Client.Connection.Transport;

    /// <summary>Application data shared with <see cref="SocketNamespace.FetchSocketsAsync"/> results (Node's <c>socket.data</c>).</summary>
    public object? Data { get; set; }

    /// <summary>Per-socket state for the application.</summary>
    public IDictionary<object, object?> Items => _items ?? Interlocked.CompareExchange(ref _items, new(), null) ?? _items;

    /// <summary>The rooms the socket is in, its own id room included (a snapshot).</summary>
    public IReadOnlySet<string> Rooms => Namespace.Adapter.GetSocketRooms(Id) ?? new HashSet<string>();

    internal SocketClient Client { get; }

    /// <summary>Broadcast bookkeeping of <see cref="LocalAdapter"/>, touched only under its lock.</summary>
    internal long ExcludedMark;

    /// <inheritdoc cref="ExcludedMark"/>
    internal long SelectedMark;

    /// <summary>
    /// Joins <paramref name="room"/>. Returns false, joining nothing, when that would put the socket in more than
    /// <see cref="SocketIOOptions.MaxRoomsPerSocket"/> rooms.
    /// </summary>
    public bool Join(string room)
    {
        ArgumentNullException.ThrowIfNull(room);
        var adapter = Namespace.Adapter;
        if (!HasRoomFor(adapter, 1) && !adapter.IsInRoom(Id, room))
        {
            return false;
        }

        adapter.AddAll(Id, [room]);
        return true;
    }

    /// <summary>Joins several rooms: all of them, or (when they would exceed <see cref="SocketIOOptions.MaxRoomsPerSocket"/>) none.</summary>
    public bool Join(IEnumerable<string> rooms)
    {
        var list = rooms.ToArray();
        var adapter = Namespace.Adapter;
        if (!HasRoomFor(adapter, list.Length))
        {
            var missing = 0;
            foreach (var room in list.Distinct(StringComparer.Ordinal))
            {
                missing += adapter.IsInRoom(Id, room) ? 0 : 1;
            }

            if (!HasRoomFor(adapter, missing))
            {
                return false;
            }
        }

        adapter.AddAll(Id, list);
        return true;
    }

    private bool HasRoomFor(Adapter.SocketIOAdapter adapter, int rooms)
    {
        var max = Namespace.Server.Options.MaxRoomsPerSocket;
        return max <= 0 || adapter.GetSocketRoomCount(Id) + rooms <= max;
    }

    /// <summary>Whether the socket is in <paramref name="room"/> (without copying <see cref="Rooms"/>).</summary>
    public bool IsIn(string room) => Namespace.Adapter.IsInRoom(Id, room);

    /// <summary>Leaves <paramref name="room"/>.</summary>
    public void Leave(string room) => Namespace.Adapter.Del(Id, room);

    /// <summary>
    /// Sends an event to this client. Binary arguments (<c>byte[]</c>, <c>ReadOnlyMemory&lt;byte&gt;</c>) travel as attachments.
    /// Returns false if it was not queued (disconnected, or the send queue is full: see the slow-consumer policy).
    /// </summary>
    public bool Emit(string eventName, params object?[] args)
    {
        if (!Connected)
        {
            return false;
        }

        var packet = SocketPacketWriter.EncodeEvent(Namespace.Name, eventName, args, -1, Namespace.Server.JsonOptions);
        var sent = Client.Connection.TrySend(packet.Messages);
        CountSent(packet, sent);
        return sent;
    }

    /// <summary>Sends an event that the client acknowledges; completes with the acknowledgement's arguments.</summary>
    /// <exception cref="AckTimeoutException">No acknowledgement within <paramref name="timeout"/>.</exception>
    /// <exception cref="OperationCanceledException">Cancelled, or the socket disconnected first.</exception>
    public Task<SocketIOArguments> EmitWithAckAsync(string eventName, object?[] args, TimeSpan timeout, CancellationToken cancellationToken = default)
        => EmitWithAckCoreAsync(eventName, args, timeout, cancellationToken);

    /// <summary>Sends an event that the client acknowledges, waiting without a timeout (until disconnect).</summary>
    public Task<SocketIOArguments> EmitWithAckAsync(string eventName, params object?[] args)
        => EmitWithAckCoreAsync(eventName, args, System.Threading.Timeout.InfiniteTimeSpan, CancellationToken.None);

    /// <summary>Operators that target every other socket of the namespace (or of the given rooms).</summary>
    public BroadcastOperator Broadcast => new(Namespace, [], [Id], default);

    /// <summary>Targets a room, excluding this socket.</summary>
    public BroadcastOperator To(string room) => Broadcast.To(room);

    /// <summary>Same as <see cref="To(string)"/>.</summary>
    public BroadcastOperator In(string room) => Broadcast.To(room);

    /// <summary>Everyone in the namespace except this socket and the sockets in <paramref name="room"/>.</summary>
    public BroadcastOperator Except(string room) => Broadcast.Except(room);

    /// <summary>Operators for this socket alone whose emits may be dropped when its queue is full.</summary>
    public BroadcastOperator Volatile => new(Namespace, [Id], [], new BroadcastFlags { Volatile = true, Local = true });

    /// <summary>Operators for this socket alone with an ack timeout (see <see cref="BroadcastOperator.EmitWithAckAsync"/>).</summary>
    public BroadcastOperator Timeout(TimeSpan timeout) => new(Namespace, [Id], [], new BroadcastFlags { Local = true, Timeout = timeout });

    /// <summary>
    /// Registers a handler for <paramref name="eventName"/> (raw form: all arguments, attachments and the ack).
    /// Registration copies nothing: pass a delegate built once (e.g. a static lambda) and it allocates nothing either.
    /// </summary>
    public void On(string eventName, Func<SocketIOEvent, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(eventName);
        ArgumentNullException.ThrowIfNull(handler);
        _events.Add(eventName, handler);
    }

    /// <summary>
    /// Adds event middleware (Node's <c>socket.use</c>): it runs, in registration order, before the handlers of every
    /// event of this socket and calls <c>next</c> to let the event through. Returning without calling <c>next</c>
    /// drops the event (answer its ack first if you want the client to know, e.g. a rate limit); an exception is
    /// logged and drops it too. The handlers run after the whole chain has passed.
    /// </summary>
    public SocketIOSocket Use(Func<SocketIOEvent, Func<Task>, Task> middleware)
    {
        ArgumentNullException.ThrowIfNull(middleware);
        _events.AddMiddleware(middleware);
        return this;
    }

    /// <summary>Registers a synchronous raw-form handler.</summary>
    public void On(string eventName, Action<SocketIOEvent> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        On(eventName, e =>
        {
            handler(e);
            return Task.CompletedTask;
        });
    }

    /// <summary>
    /// Registers a handler whose first argument is bound to <typeparamref name="T"/> (default when absent).
    /// The ack is null unless the client asked for one. When the argument does not bind, the handler is not called
    /// and the ack (if requested) is answered with <see cref="SocketIOOptions.InvalidPayloadAck"/>'s reply,
    /// by default <c>{"ok":false,"error":{"code":"INVALID_PAYLOAD","message":…}}</c>.
    /// </summary>
    public void On<T>(string eventName, Func<SocketIOSocket, T, SocketAck?, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        On(eventName, e => TypedHandlers.TryBind(e, 0, out T value) ? handler(e.Socket, value, e.AckCallback) : Task.CompletedTask);
    }

    /// <summary>Synchronous form of <see cref="On{T}(string, Func{SocketIOSocket, T, SocketAck?, Task})"/>.</summary>
    public void On<T>(string eventName, Action<SocketIOSocket, T, SocketAck?> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        On<T>(eventName, (socket, value, ack) =>
        {
            handler(socket, value, ack);
            return Task.CompletedTask;
        });
    }

    /// <summary>
    /// Like <see cref="On{T}(string, Func{SocketIOSocket, T, SocketAck?, Task})"/> for the first two arguments
    /// (<c>socket.emit("move", from, to, ack)</c>); either failing to bind answers the ack with the error.
    /// </summary>
    public void On<T1, T2>(string eventName, Func<SocketIOSocket, T1, T2, SocketAck?, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        On(eventName, e => TypedHandlers.TryBind(e, 0, out T1 first) && TypedHandlers.TryBind(e, 1, out T2 second)
            ? handler(e.Socket, first, second, e.AckCallback)
            : Task.CompletedTask);
    }

    /// <summary>Registers a handler that sees every event, before the event's own handlers.</summary>
    public void OnAny(Func<SocketIOEvent, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _events.AddAny(handler);
    }

    /// <summary>Runs when the socket is about to disconnect, while it is still in its rooms. Receives the reason.</summary>
    public void OnDisconnecting(Func<SocketIOSocket, string, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_gate)
        {
            _disconnecting = [.. _disconnecting, handler];
        }
    }

    /// <summary>Runs after the socket disconnected and left its rooms. Receives the reason (see <see cref="DisconnectReasons"/>).</summary>
    public void OnDisconnected(Func<SocketIOSocket, string, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_gate)
        {
            _disconnected = [.. _disconnected, handler];
        }
    }

    /// <summary>
    /// Disconnects the socket from its namespace (the client sees "io server disconnect").
    /// With <paramref name="close"/> the whole Engine.IO connection is closed too.
    /// </summary>
    public void Disconnect(bool close = false)
    {
        if (close)
        {
            Client.DisconnectAll();
            return;
        }

        if (Connected)
        {
            Client.Connection.TrySend(SocketPacketWriter.EncodeDisconnect(Namespace.Name).Messages);
        }

        Client.CloseSocket(this, DisconnectReasons.ServerNamespaceDisconnect);
    }

    internal bool SendAck(long id, object?[] args)
    {
        if (!Connected)
        {
            return false;
        }

        var packet = SocketPacketWriter.EncodeAck(Namespace.Name, id, args, Namespace.Server.JsonOptions);
        var sent = Client.Connection.TrySend(packet.Messages);
        CountSent(packet, sent);
        return sent;
    }

    private void CountSent(EncodedPacket packet, bool sent)
    {
        if (sent)
        {
            Namespace.Server.Metrics.PacketOut(packet.Type);
        }
    }

    internal bool TrySendPacket(EncodedPacket packet, bool isVolatile)
        => System.Threading.Volatile.Read(ref _closed) == 0 && Client.Connection.TrySend(packet.Messages, isVolatile);

    /// <summary>Pending server-to-client acks, created on the first one: most sockets never have any.</summary>
    private ConcurrentDictionary<long, Action<SocketIOArguments?>> Acks
        => _acks ?? Interlocked.CompareExchange(ref _acks, new(), null) ?? _acks;

    internal void RegisterAck(long id, Action<SocketIOArguments?> callback) => Acks[id] = callback;

    internal void RemoveAck(long id) => _acks?.TryRemove(id, out _);

    internal void OnAckPacket(SocketPacket packet)
    {
        if (_acks is { } acks && acks.TryRemove(packet.AckId, out var callback))
        {
            callback(new SocketIOArguments(packet, Namespace.Server.JsonOptions));
        }
    }

    internal Task DispatchAsync(SocketPacket packet)
        => Connected ? _events.DispatchAsync(new SocketIOEvent(this, packet, Namespace.Server.JsonOptions)) : Task.CompletedTask;

    /// <summary>Marks the socket closed at once; returns false if it already was.</summary>
    internal bool MarkClosed()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return false;
        }

        if (_acks is { } acks)
        {
            foreach (var id in acks.Keys)
            {
                if (acks.TryRemove(id, out var callback))
                {
                    callback(null);
                }
            }
        }

        return true;
    }

    /// <summary>Runs the disconnect sequence: disconnecting handlers, leave rooms, disconnected handlers.</summary>
    internal async Task RunCloseAsync(string reason)
    {
        foreach (var handler in _disconnecting)
        {
            await InvokeCloseHandlerAsync(handler, reason);
        }

        Namespace.Remove(this);
        foreach (var handler in _disconnected)
        {
            await InvokeCloseHandlerAsync(handler, reason);
        }
    }

    private async Task InvokeCloseHandlerAsync(Func<SocketIOSocket, string, Task> handler, string reason)
    {
        try
        {
            await handler(this, reason);
        }
        catch (Exception ex)
        {
            SocketIOLog.HandlerFailed(Namespace.Server.Logger, "disconnect", Namespace.Name, Id, ex);
        }
    }

    private async Task<SocketIOArguments> EmitWithAckCoreAsync(string eventName, object?[] args, TimeSpan timeout, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var tcs = new TaskCompletionSource<SocketIOArguments?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var id = Namespace.NextAckId();
        RegisterAck(id, response => tcs.TrySetResult(response));
        if (!Connected)
        {
            RemoveAck(id);
            throw new OperationCanceledException("The socket is disconnected.");
        }

        var packet = SocketPacketWriter.EncodeEvent(Namespace.Name, eventName, args, id, Namespace.Server.JsonOptions);
        if (!Client.Connection.TrySend(packet.Messages))
        {
            RemoveAck(id);
            throw new OperationCanceledException("The event could not be queued.");
        }

        CountSent(packet, sent: true);
        try
        {
            var response = await tcs.Task.WaitAsync(timeout, cancellationToken);
            return response ?? throw new OperationCanceledException("The socket disconnected before acknowledging.");
        }
        catch (TimeoutException)
        {
            RemoveAck(id);
            Namespace.Server.Metrics.AckTimeout();
            throw new AckTimeoutException([]);
        }
        catch (OperationCanceledException)
        {
            RemoveAck(id);
            throw;
        }
    }
}
