using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Raven.SocketIO.Adapter;
using Raven.SocketIO.Protocol;

namespace Raven.SocketIO;

/// <summary>
/// A Socket.IO namespace (<c>io.Of("/chat")</c>): its middleware, connection handlers, sockets and rooms.
/// A dynamic namespace (<c>io.Of(regex)</c>) is a parent: its middleware and handlers apply to every child
/// namespace it creates, and its broadcast operators reach all children.
/// </summary>
public sealed class SocketNamespace
{
    private readonly object _gate = new();
    private readonly ConcurrentDictionary<string, SocketIOSocket> _sockets = new(StringComparer.Ordinal);
    private readonly SocketNamespace? _parent;
    private readonly Func<string, SocketHandshake, bool>? _matcher;
    private readonly List<SocketNamespace> _children = [];
    private Func<SocketIOSocket, Func<Task>, Task>[] _middleware = [];
    private Func<SocketIOSocket, Task>[] _connectionHandlers = [];
    private Dictionary<string, Func<ServerSideEvent, Task>[]> _serverSideHandlers = new(StringComparer.Ordinal);
    private SocketIOAdapter? _adapter;
    private long _ackIds;

    internal SocketNamespace(SocketIOServer server, string name, SocketNamespace? parent = null, Func<string, SocketHandshake, bool>? matcher = null)
    {
        Server = server;
        Name = name;
        _parent = parent;
        _matcher = matcher;
    }

    /// <summary>The namespace name, e.g. <c>/</c> or <c>/chat</c> (for a dynamic parent, a description of its matcher).</summary>
    public string Name { get; }

    /// <summary>The server.</summary>
    public SocketIOServer Server { get; }

    /// <summary>The dynamic namespace this one was created from, if any.</summary>
    public SocketNamespace? Parent => _parent;

    /// <summary>The adapter holding this namespace's rooms.</summary>
    public SocketIOAdapter Adapter => _adapter ?? throw new InvalidOperationException("A dynamic parent namespace has no adapter of its own.");

    /// <summary>The sockets connected to this namespace on this server, by id.</summary>
    public IReadOnlyDictionary<string, SocketIOSocket> Sockets => _sockets;

    internal ConcurrentDictionary<string, SocketIOSocket> LocalSockets => _sockets;

    internal bool IsDynamicParent => _matcher is not null;

    internal void AttachAdapter(SocketIOAdapter adapter) => _adapter = adapter;

    /// <summary>
    /// Adds connection middleware; each runs in order and calls <c>next</c> to continue. Throw
    /// <see cref="ConnectErrorException"/> to refuse (the client gets <c>connect_error</c> with message and data);
    /// returning without calling <c>next</c> refuses too.
    /// </summary>
    public SocketNamespace Use(Func<SocketIOSocket, Func<Task>, Task> middleware)
    {
        ArgumentNullException.ThrowIfNull(middleware);
        lock (_gate)
        {
            _middleware = [.. _middleware, middleware];
        }

        return this;
    }

    /// <summary>Runs for every new socket, after the CONNECT reply is queued. Register the socket's <c>On</c> handlers here.</summary>
    public SocketNamespace OnConnection(Func<SocketIOSocket, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_gate)
        {
            _connectionHandlers = [.. _connectionHandlers, handler];
        }

        return this;
    }

    /// <summary>Synchronous form of <see cref="OnConnection(Func{SocketIOSocket, Task})"/>.</summary>
    public SocketNamespace OnConnection(Action<SocketIOSocket> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return OnConnection(s =>
        {
            handler(s);
            return Task.CompletedTask;
        });
    }

    /// <summary>
    /// Handles an event another server sent with <see cref="ServerSideEmitAsync"/> or <see cref="ServerSideEmitWithAckAsync(string, object?[])"/>
    /// (answer the latter with <see cref="ServerSideEvent.Ack(object?)"/>).
    /// </summary>
    public SocketNamespace OnServerSideEmit(string eventName, Func<ServerSideEvent, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_gate)
        {
            var copy = new Dictionary<string, Func<ServerSideEvent, Task>[]>(_serverSideHandlers, StringComparer.Ordinal);
            copy[eventName] = copy.TryGetValue(eventName, out var existing) ? [.. existing, handler] : [handler];
            _serverSideHandlers = copy;
        }

        return this;
    }

    /// <summary>Targets a room.</summary>
    public BroadcastOperator To(string room) => All.To(room);

    /// <summary>Targets several rooms.</summary>
    public BroadcastOperator To(IEnumerable<string> rooms) => All.To(rooms);

    /// <summary>Same as <see cref="To(string)"/>.</summary>
    public BroadcastOperator In(string room) => All.To(room);

    /// <summary>Everyone except the sockets in <paramref name="room"/>.</summary>
    public BroadcastOperator Except(string room) => All.Except(room);

    /// <summary>Everyone, with drops allowed for full send queues.</summary>
    public BroadcastOperator Volatile => All.Volatile;

    /// <summary>Everyone on this server only.</summary>
    public BroadcastOperator Local => All.Local;

    /// <summary>Everyone, with an acknowledgement timeout.</summary>
    public BroadcastOperator Timeout(TimeSpan timeout) => All.Timeout(timeout);

    /// <summary>Emits to every socket of the namespace.</summary>
    public void Emit(string eventName, params object?[] args) => All.Emit(eventName, args);

    /// <summary>Emits to every socket and collects acknowledgements (see <see cref="BroadcastOperator.EmitWithAckAsync"/>).</summary>
    public Task<IReadOnlyList<SocketIOArguments>> EmitWithAckAsync(string eventName, params object?[] args) => All.EmitWithAckAsync(eventName, args);

    /// <summary>Every socket of the namespace, across servers.</summary>
    public Task<IReadOnlyList<RemoteSocket>> FetchSocketsAsync() => All.FetchSocketsAsync();

    /// <summary>Makes every socket join rooms.</summary>
    public Task SocketsJoinAsync(params string[] rooms) => All.SocketsJoinAsync(rooms);

    /// <summary>Makes every socket leave rooms.</summary>
    public Task SocketsLeaveAsync(params string[] rooms) => All.SocketsLeaveAsync(rooms);

    /// <summary>Disconnects every socket.</summary>
    public Task DisconnectSocketsAsync(bool close = false) => All.DisconnectSocketsAsync(close);

    /// <summary>Sends an event to this namespace on the other servers (no-op with <see cref="LocalAdapter"/>).</summary>
    public async Task ServerSideEmitAsync(string eventName, params object?[] args)
    {
        foreach (var nsp in Targets())
        {
            var packet = SocketPacketWriter.EncodeEvent(nsp.Name, eventName, args, -1, Server.JsonOptions);
            await nsp.Adapter.ServerSideEmitAsync(packet);
        }
    }

    /// <summary>
    /// Sends an event to this namespace on the other servers and collects one answer per server (its first
    /// argument, like Node's <c>serverSideEmitWithAck</c>). Waits at most the adapter's request timeout; then throws
    /// <see cref="AckTimeoutException"/> with the answers that did arrive. No other server: no answers.
    /// </summary>
    public Task<IReadOnlyList<SocketIOArguments>> ServerSideEmitWithAckAsync(string eventName, params object?[] args)
        => CollectServerSideAcksAsync(null, eventName, args);

    /// <summary>Like <see cref="ServerSideEmitWithAckAsync(string, object?[])"/>, waiting at most <paramref name="timeout"/>.</summary>
    public Task<IReadOnlyList<SocketIOArguments>> ServerSideEmitWithAckAsync(TimeSpan timeout, string eventName, params object?[] args)
        => CollectServerSideAcksAsync(timeout, eventName, args);

    private async Task<IReadOnlyList<SocketIOArguments>> CollectServerSideAcksAsync(TimeSpan? timeout, string eventName, object?[] args)
    {
        var answers = new List<SocketIOArguments>();
        foreach (var nsp in Targets())
        {
            var packet = SocketPacketWriter.EncodeEvent(nsp.Name, eventName, args, -1, Server.JsonOptions);
            answers.AddRange(await nsp.Adapter.ServerSideEmitWithAckAsync(packet, timeout));
        }

        return answers;
    }

    private BroadcastOperator All => new(this, [], [], default);

    internal long NextAckId() => Interlocked.Increment(ref _ackIds) - 1;

    internal IEnumerable<SocketNamespace> Targets()
    {
        if (!IsDynamicParent)
        {
            return [this];
        }

        lock (_gate)
        {
            return _children.ToArray();
        }
    }

    internal bool Matches(string name, SocketHandshake handshake) => _matcher?.Invoke(name, handshake) ?? false;

    internal void AddChild(SocketNamespace child)
    {
        lock (_gate)
        {
            _children.Add(child);
        }
    }

    internal async Task<bool> RunMiddlewareAsync(SocketIOSocket socket)
    {
        var chain = _parent?._middleware ?? _middleware;
        if (_parent is not null && _middleware.Length > 0)
        {
            chain = [.. chain, .. _middleware];
        }

        return await Internal.MiddlewareChain.RunAsync(chain, socket);
    }

    internal void Add(SocketIOSocket socket)
    {
        _sockets[socket.Id] = socket;
        Adapter.AddAll(socket.Id, [socket.Id]);
        Server.Metrics.SocketConnected(Name);
    }

    internal void Remove(SocketIOSocket socket)
    {
        Adapter.DelAll(socket.Id);
        if (_sockets.TryRemove(new KeyValuePair<string, SocketIOSocket>(socket.Id, socket)))
        {
            Server.Metrics.SocketDisconnected(Name);
        }
    }

    internal async Task RunConnectionHandlersAsync(SocketIOSocket socket)
    {
        var handlers = _parent is null ? _connectionHandlers : [.. _parent._connectionHandlers, .. _connectionHandlers];
        foreach (var handler in handlers)
        {
            try
            {
                await handler(socket);
            }
            catch (Exception ex)
            {
                Internal.SocketIOLog.HandlerFailed(Server.Logger, "connection", Name, socket.Id, ex);
            }
        }
    }

    internal void DispatchServerSideEvent(SocketPacket packet, Action<EncodedPacket>? reply)
    {
        var handlers = (_parent is not null && _parent._serverSideHandlers.TryGetValue(packet.EventName!, out var p) ? p : [])
            .Concat(_serverSideHandlers.TryGetValue(packet.EventName!, out var own) ? own : []);
        var args = new ServerSideEvent(packet, Name, Server.JsonOptions, reply);
        foreach (var handler in handlers)
        {
            _ = InvokeAsync(handler, args, packet.EventName!);
        }
    }

    private async Task InvokeAsync(Func<ServerSideEvent, Task> handler, ServerSideEvent args, string eventName)
    {
        try
        {
            await handler(args);
        }
        catch (Exception ex)
        {
            Internal.SocketIOLog.HandlerFailed(Server.Logger, eventName, Name, "server-side", ex);
        }
    }

    internal static Func<string, SocketHandshake, bool> RegexMatcher(Regex regex) => (name, _) => regex.IsMatch(name);
}
