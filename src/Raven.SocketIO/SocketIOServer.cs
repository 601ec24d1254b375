using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Raven.EngineIO;
using Raven.SocketIO.Internal;

namespace Raven.SocketIO;

/// <summary>
/// The Socket.IO server (Node's <c>io</c>), a singleton from DI after <c>AddSocketIO()</c>.
/// Its emit/broadcast members act on the main namespace <c>/</c>.
/// </summary>
public sealed class SocketIOServer
{
    private readonly ConcurrentDictionary<string, SocketNamespace> _namespaces = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private SocketNamespace[] _parents = [];

    /// <summary>
    /// The name of the library's <see cref="System.Diagnostics.Metrics.Meter"/>: sockets per namespace, packets
    /// received/sent by type, broadcasts and their recipients, ack timeouts (see docs/socketio.md, "Metrics").
    /// </summary>
    public const string MeterName = SocketIOMetrics.MeterName;

    public SocketIOServer(IOptions<SocketIOOptions> options, ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null)
    {
        Options = options.Value;
        Metrics = new SocketIOMetrics(meterFactory);
        Logger = (ILogger?)loggerFactory?.CreateLogger("Raven.SocketIO") ?? NullLogger.Instance;
        JsonOptions = new JsonSerializerOptions(Options.JsonSerializerOptions);
        JsonOptions.Converters.Add(new ByteArrayAttachmentConverter());
        JsonOptions.Converters.Add(new MemoryAttachmentConverter());
        JsonOptions.MakeReadOnly(populateMissingResolver: true);
        EngineHandler = new SocketIOEngineHandler(this);

        // Like Node, the main namespace always exists.
        _ = Of("/");
    }

    /// <summary>The main namespace <c>/</c>.</summary>
    public SocketNamespace Sockets => Of("/");

    /// <summary>The Engine.IO application to map (<c>MapSocketIO</c> does this).</summary>
    public IEngineIOHandler EngineHandler { get; }

    internal SocketIOOptions Options { get; }

    internal ILogger Logger { get; }

    internal SocketIOMetrics Metrics { get; }

    internal JsonSerializerOptions JsonOptions { get; }

    /// <summary>
    /// The most bytes one client packet may take with all its attachments: Engine.IO's <c>maxHttpBufferSize</c>,
    /// the bound clients are told (<c>maxPayload</c>). The one place Socket.IO reads it.
    /// </summary>
    internal long MaxPacketBytes => Options.EngineIO.MaxHttpBufferSize;

    /// <summary>Gets or creates the namespace <paramref name="name"/> (a leading <c>/</c> is added if missing).</summary>
    public SocketNamespace Of(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!name.StartsWith('/'))
        {
            name = "/" + name;
        }

        if (_namespaces.TryGetValue(name, out var existing))
        {
            return existing;
        }

        lock (_gate)
        {
            if (_namespaces.TryGetValue(name, out existing))
            {
                return existing;
            }

            var nsp = new SocketNamespace(this, name);
            AttachAdapter(nsp);
            _namespaces[name] = nsp;
            return nsp;
        }
    }

    /// <summary>A dynamic namespace: every name matching <paramref name="pattern"/> is accepted and created on first connect.</summary>
    public SocketNamespace Of(Regex pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        return AddParent(pattern.ToString(), SocketNamespace.RegexMatcher(pattern));
    }

    /// <summary>A dynamic namespace: names for which <paramref name="predicate"/> returns true are accepted and created on first connect.</summary>
    public SocketNamespace Of(Func<string, SocketHandshake, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        return AddParent("dynamic", predicate);
    }

    /// <summary>Adds middleware to the main namespace.</summary>
    public SocketIOServer Use(Func<SocketIOSocket, Func<Task>, Task> middleware)
    {
        Sockets.Use(middleware);
        return this;
    }

    /// <summary>Connection handler of the main namespace.</summary>
    public SocketIOServer OnConnection(Func<SocketIOSocket, Task> handler)
    {
        Sockets.OnConnection(handler);
        return this;
    }

    /// <summary>Synchronous connection handler of the main namespace.</summary>
    public SocketIOServer OnConnection(Action<SocketIOSocket> handler)
    {
        Sockets.OnConnection(handler);
        return this;
    }

    /// <summary>Targets a room of the main namespace.</summary>
    public BroadcastOperator To(string room) => Sockets.To(room);

    /// <summary>Targets several rooms of the main namespace.</summary>
    public BroadcastOperator To(IEnumerable<string> rooms) => Sockets.To(rooms);

    /// <summary>Same as <see cref="To(string)"/>.</summary>
    public BroadcastOperator In(string room) => Sockets.In(room);

    /// <summary>Everyone in the main namespace except a room.</summary>
    public BroadcastOperator Except(string room) => Sockets.Except(room);

    /// <summary>Volatile broadcast on the main namespace.</summary>
    public BroadcastOperator Volatile => Sockets.Volatile;

    /// <summary>Local-only broadcast on the main namespace.</summary>
    public BroadcastOperator Local => Sockets.Local;

    /// <summary>Broadcast with ack timeout on the main namespace.</summary>
    public BroadcastOperator Timeout(TimeSpan timeout) => Sockets.Timeout(timeout);

    /// <summary>Emits to every socket of the main namespace.</summary>
    public void Emit(string eventName, params object?[] args) => Sockets.Emit(eventName, args);

    /// <summary>Emits to every socket of the main namespace and collects acknowledgements.</summary>
    public Task<IReadOnlyList<SocketIOArguments>> EmitWithAckAsync(string eventName, params object?[] args) => Sockets.EmitWithAckAsync(eventName, args);

    /// <summary>The sockets of the main namespace.</summary>
    public Task<IReadOnlyList<RemoteSocket>> FetchSocketsAsync() => Sockets.FetchSocketsAsync();

    /// <summary>Makes every socket of the main namespace join rooms.</summary>
    public Task SocketsJoinAsync(params string[] rooms) => Sockets.SocketsJoinAsync(rooms);

    /// <summary>Makes every socket of the main namespace leave rooms.</summary>
    public Task SocketsLeaveAsync(params string[] rooms) => Sockets.SocketsLeaveAsync(rooms);

    /// <summary>Disconnects every socket of the main namespace.</summary>
    public Task DisconnectSocketsAsync(bool close = false) => Sockets.DisconnectSocketsAsync(close);

    /// <summary>Sends an event to the main namespace of the other servers.</summary>
    public Task ServerSideEmitAsync(string eventName, params object?[] args) => Sockets.ServerSideEmitAsync(eventName, args);

    /// <summary>Sends an event to the main namespace of the other servers and collects their answers (see <see cref="SocketNamespace.ServerSideEmitWithAckAsync(string, object?[])"/>).</summary>
    public Task<IReadOnlyList<SocketIOArguments>> ServerSideEmitWithAckAsync(string eventName, params object?[] args) => Sockets.ServerSideEmitWithAckAsync(eventName, args);

    /// <summary>Like <see cref="ServerSideEmitWithAckAsync(string, object?[])"/>, waiting at most <paramref name="timeout"/>.</summary>
    public Task<IReadOnlyList<SocketIOArguments>> ServerSideEmitWithAckAsync(TimeSpan timeout, string eventName, params object?[] args) => Sockets.ServerSideEmitWithAckAsync(timeout, eventName, args);

    internal bool TryResolveNamespace(string name, SocketHandshake handshake, [NotNullWhen(true)] out SocketNamespace? nsp)
    {
        if (_namespaces.TryGetValue(name, out nsp))
        {
            return true;
        }

        foreach (var parent in System.Threading.Volatile.Read(ref _parents))
        {
            if (!parent.Matches(name, handshake))
            {
                continue;
            }

            lock (_gate)
            {
                if (!_namespaces.TryGetValue(name, out nsp))
                {
                    nsp = new SocketNamespace(this, name, parent);
                    AttachAdapter(nsp);
                    _namespaces[name] = nsp;
                    parent.AddChild(nsp);
                }
            }

            return true;
        }

        nsp = null;
        return false;
    }

    /// <summary>Lets every adapter release its resources (subscriptions, connections) when the host stops.</summary>
    internal void CloseAdapters()
    {
        foreach (var nsp in _namespaces.Values)
        {
            _ = CloseAdapterAsync(nsp.Adapter);
        }
    }

    private async Task CloseAdapterAsync(Adapter.SocketIOAdapter adapter)
    {
        try
        {
            await adapter.CloseAsync();
        }
        catch (Exception ex)
        {
            SocketIOLog.AdapterCloseFailed(Logger, adapter.Namespace.Name, ex);
        }
    }

    private SocketNamespace AddParent(string description, Func<string, SocketHandshake, bool> matcher)
    {
        var parent = new SocketNamespace(this, description, parent: null, matcher);
        lock (_gate)
        {
            _parents = [.. _parents, parent];
        }

        return parent;
    }

    private void AttachAdapter(SocketNamespace nsp)
    {
        var adapter = Options.AdapterFactory(nsp);
        nsp.AttachAdapter(adapter);
        _ = InitAdapterAsync(adapter);
    }

    private async Task InitAdapterAsync(Adapter.SocketIOAdapter adapter)
    {
        try
        {
            await adapter.InitAsync();
        }
        catch (Exception ex)
        {
            SocketIOLog.AdapterInitFailed(Logger, adapter.Namespace.Name, ex);
        }
    }
}
