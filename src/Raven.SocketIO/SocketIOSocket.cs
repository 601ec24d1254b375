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
    private readonly ConcurrentDictionary<long, Action<SocketIOArguments?>> _acks = new();
    private Dictionary<string, Func<SocketIOEvent, Task>[]> _handlers = new(StringComparer.Ordinal);
    private Func<SocketIOEvent, Task>[] _anyHandlers = [];
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

    /// <summary>Joins <paramref name="room"/>.</summary>
    public void Join(string room) => Namespace.Adapter.AddAll(Id, [room]);

    /// <summary>Joins several rooms.</summary>
    public void Join(IEnumerable<string> rooms) => Namespace.Adapter.AddAll(Id, rooms.ToArray());

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
        return Client.Connection.TrySend(packet.Messages);
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

    /// <summary>Registers a handler for <paramref name="eventName"/> (raw form: all arguments, attachments and the ack).</summary>
    public void On(string eventName, Func<SocketIOEvent, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_gate)
        {
            var copy = new Dictionary<string, Func<SocketIOEvent, Task>[]>(_handlers, StringComparer.Ordinal);
            copy[eventName] = copy.TryGetValue(eventName, out var existing) ? [.. existing, handler] : [handler];
            _handlers = copy;
        }
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
    /// The ack is null unless the client asked for one. A payload that does not bind is logged and the handler not called.
    /// </summary>
    public void On<T>(string eventName, Func<SocketIOSocket, T, SocketAck?, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        On(eventName, e => handler(e.Socket, e.Count > 0 ? e.Get<T>(0)! : default!, e.AckCallback));
    }

    /// <summary>Synchronous form of <see cref="On{T}(string, Func{SocketIOSocket, T, SocketAck?, Task})"/>.</summary>
    public void On<T>(string eventName, Action<SocketIOSocket, T, SocketAck?> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        On(eventName, e =>
        {
            handler(e.Socket, e.Count > 0 ? e.Get<T>(0)! : default!, e.AckCallback);
            return Task.CompletedTask;
        });
    }

    /// <summary>Registers a handler that sees every event, before the event's own handlers.</summary>
    public void OnAny(Func<SocketIOEvent, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_gate)
        {
            _anyHandlers = [.. _anyHandlers, handler];
        }
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
        return Client.Connection.TrySend(packet.Messages);
    }

    internal bool TrySendPacket(EncodedPacket packet, bool isVolatile)
        => System.Threading.Volatile.Read(ref _closed) == 0 && Client.Connection.TrySend(packet.Messages, isVolatile);

    internal void RegisterAck(long id, Action<SocketIOArguments?> callback) => _acks[id] = callback;

    internal void RemoveAck(long id) => _acks.TryRemove(id, out _);

    internal void OnAckPacket(SocketPacket packet)
    {
        if (_acks.TryRemove(packet.AckId, out var callback))
        {
            callback(new SocketIOArguments(packet, Namespace.Server.JsonOptions));
        }
    }

    internal async Task DispatchAsync(SocketPacket packet)
    {
        if (!Connected)
        {
            return;
        }

        var e = new SocketIOEvent(this, packet, Namespace.Server.JsonOptions);
        foreach (var any in _anyHandlers)
        {
            await InvokeAsync(any, e);
        }

        if (_handlers.TryGetValue(e.Name, out var handlers))
        {
            foreach (var handler in handlers)
            {
                await InvokeAsync(handler, e);
            }
        }
    }

    private async Task InvokeAsync(Func<SocketIOEvent, Task> handler, SocketIOEvent e)
    {
        try
        {
            await handler(e);
        }
        catch (Exception ex)
        {
            SocketIOLog.HandlerFailed(Namespace.Server.Logger, e.Name, Namespace.Name, Id, ex);
        }
    }

    /// <summary>Marks the socket closed at once; returns false if it already was.</summary>
    internal bool MarkClosed()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return false;
        }

        foreach (var id in _acks.Keys)
        {
            if (_acks.TryRemove(id, out var callback))
            {
                callback(null);
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

        try
        {
            var response = await tcs.Task.WaitAsync(timeout, cancellationToken);
            return response ?? throw new OperationCanceledException("The socket disconnected before acknowledging.");
        }
        catch (TimeoutException)
        {
            RemoveAck(id);
            throw new AckTimeoutException([]);
        }
        catch (OperationCanceledException)
        {
            RemoveAck(id);
            throw;
        }
    }
}

/// <summary>Disconnect reasons, spelled as Node.js Socket.IO spells them.</summary>
public static class DisconnectReasons
{
    /// <summary>The client sent DISCONNECT for the namespace (<c>socket.disconnect()</c> in the client).</summary>
    public const string ClientNamespaceDisconnect = "client namespace disconnect";

    /// <summary>The server called <see cref="SocketIOSocket.Disconnect"/>.</summary>
    public const string ServerNamespaceDisconnect = "server namespace disconnect";

    public const string TransportClose = "transport close";
    public const string TransportError = "transport error";
    public const string PingTimeout = "ping timeout";
    public const string ServerShuttingDown = "server shutting down";
    public const string ForcedClose = "forced close";

    /// <summary>The client sent a malformed packet; the connection was closed.</summary>
    public const string ParseError = "parse error";
}
