using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using Raven.EngineIO;
using Raven.SocketIO.Protocol;

namespace Raven.SocketIO.Internal;

/// <summary>
/// The Socket.IO side of one Engine.IO session: decodes its packets, joins binary attachments to them, and
/// multiplexes namespaces. CONNECT, EVENT and DISCONNECT packets are handled in arrival order, one at a time: each
/// runs directly on the Engine.IO read loop's call, and only when a handler is still running does the next one wait
/// in a bounded queue (<see cref="SocketIOOptions.MaxQueuedInboundPackets"/>); when that is full the read loop stops
/// reading from this client. Acknowledgements skip the queue so a handler awaiting one cannot deadlock.
/// </summary>
internal sealed class SocketClient
{
    private static readonly JsonElement EmptyAuth = JsonDocument.Parse("{}").RootElement.Clone();

    private readonly SocketIOServer _server;
    private readonly object _gate = new();
    private NamespaceSockets _sockets;
    private readonly Queue<InboundWork> _queue = new();
    private bool _draining;
    private TaskCompletionSource? _roomWaiter;
    private SocketPacket? _pendingBinary;
    private long _pendingBytes;
    private Timer? _connectTimer;
    private string? _closeReason;
    private IReadOnlyDictionary<string, string>? _headers;
    private bool _everConnected;

    public SocketClient(SocketIOServer server, IEngineConnection connection)
    {
        _server = server;
        Connection = connection;
        var timeout = server.Options.ConnectTimeout;
        if (timeout > TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            _connectTimer = new Timer(static state => ((SocketClient)state!).OnConnectTimeout(), this, timeout, Timeout.InfiniteTimeSpan);
        }
    }

    public IEngineConnection Connection { get; }

    public ValueTask OnText(ReadOnlySequence<byte> utf8)
    {
        if (_pendingBinary is not null || !SocketPacketParser.TryParse(utf8, _server.Options.MaxAttachments, out var packet))
        {
            // Text while attachments are still expected is as malformed as bad text.
            CloseForParseError();
            return default;
        }

        if (packet.AttachmentCount > 0)
        {
            // Attachments are held until the last one arrives: only a session that got past a namespace's
            // middleware (authentication) may make the server hold them, and only up to maxHttpBufferSize.
            if (!HasSockets)
            {
                CloseForAbuse("binary packet before CONNECT");
                return default;
            }

            _pendingBinary = packet;
            _pendingBytes = utf8.Length;
            return default;
        }

        return Route(packet);
    }

    public ValueTask OnBinary(ReadOnlySequence<byte> data)
    {
        var packet = _pendingBinary;
        if (packet is null)
        {
            CloseForParseError();
            return default;
        }

        _pendingBytes += data.Length;
        if (_pendingBytes > _server.MaxPacketBytes)
        {
            CloseForAbuse("packet with attachments larger than maxHttpBufferSize");
            return default;
        }

        // The transport's buffer is pooled: the attachment must outlive this call.
        packet.Attachments[packet.ReceivedAttachments++] = data.ToArray();
        if (packet.IsComplete)
        {
            _pendingBinary = null;
            return Route(packet);
        }

        return default;
    }

    public void OnClosed(string reason)
    {
        reason = _closeReason ?? reason;
        Interlocked.Exchange(ref _connectTimer, null)?.Dispose();
        _pendingBinary = null;
        SocketIOSocket[] sockets;
        lock (_gate)
        {
            sockets = _sockets.ToArray();
        }

        foreach (var socket in sockets)
        {
            CloseSocket(socket, reason);
        }
    }

    public void CloseSocket(SocketIOSocket socket, string reason)
    {
        if (!socket.MarkClosed())
        {
            return;
        }

        lock (_gate)
        {
            if (_sockets.TryGetValue(socket.Namespace.Name, out var current) && current == socket)
            {
                _sockets.Remove(socket.Namespace.Name);
            }
        }

        SocketIOLog.SocketDisconnected(_server.Logger, socket.Id, socket.Namespace.Name, reason);
        _ = Submit(new InboundWork(null, socket, reason), bounded: false);
    }

    /// <summary>Server-side disconnect of every namespace, then the connection (Node's <c>socket.disconnect(true)</c>).</summary>
    public void DisconnectAll()
    {
        SocketIOSocket[] sockets;
        lock (_gate)
        {
            sockets = _sockets.ToArray();
        }

        foreach (var socket in sockets)
        {
            socket.Disconnect();
        }

        Connection.Close();
    }

    private ValueTask Route(SocketPacket packet)
    {
        _server.Metrics.PacketIn(packet.Type);
        switch (packet.Type)
        {
            case SocketPacketType.Connect:
            case SocketPacketType.Disconnect:
            case SocketPacketType.Event:
            case SocketPacketType.BinaryEvent:
                return Submit(new InboundWork(packet), bounded: true);
            case SocketPacketType.Ack:
            case SocketPacketType.BinaryAck:
                Find(packet.Namespace)?.OnAckPacket(packet);
                return default;
            default:
                // CONNECT_ERROR is server-to-client only; Node ignores it too.
                return default;
        }
    }

    private bool HasSockets
    {
        get
        {
            lock (_gate)
            {
                return _sockets.Count > 0;
            }
        }
    }

    private SocketIOSocket? Find(string nsp)
    {
        lock (_gate)
        {
            return _sockets.TryGetValue(nsp, out var socket) ? socket : null;
        }
    }

    private async Task ConnectAsync(SocketPacket packet)
    {
        if (!Connection.IsConnected || Find(packet.Namespace) is not null)
        {
            return;
        }

        var handshake = BuildHandshake(packet);
        if (!_server.TryResolveNamespace(packet.Namespace, handshake, out var nsp))
        {
            SendConnectError(packet.Namespace, "Invalid namespace", null);
            return;
        }

        var socket = new SocketIOSocket(nsp, this, handshake, NewSocketId());
        bool passed;
        try
        {
            passed = await nsp.RunMiddlewareAsync(socket);
        }
        catch (ConnectErrorException ex)
        {
            SendConnectError(nsp.Name, ex.Message, ex.Data);
            return;
        }
        catch (Exception ex)
        {
            SocketIOLog.MiddlewareFailed(_server.Logger, nsp.Name, ex);
            SendConnectError(nsp.Name, "Server error", null);
            return;
        }

        if (!passed)
        {
            SendConnectError(nsp.Name, "Connection refused", null);
            return;
        }

        if (!Connection.IsConnected)
        {
            return;
        }

        bool first;
        lock (_gate)
        {
            first = !_everConnected;
            _everConnected = true;
            _sockets.Set(nsp.Name, socket);
        }

        if (first)
        {
            OnFirstNamespaceConnected();
        }

        nsp.Add(socket);
        if (!Connection.IsConnected)
        {
            // The session closed while middleware ran, possibly after OnClosed looked for sockets to close.
            CloseSocket(socket, DisconnectReasons.TransportClose);
            return;
        }

        Connection.TrySend(SocketPacketWriter.EncodeConnect(nsp.Name, socket.Id).Messages);
        _server.Metrics.PacketOut(SocketPacketType.Connect);
        SocketIOLog.SocketConnected(_server.Logger, socket.Id, nsp.Name);
        await nsp.RunConnectionHandlersAsync(socket);
    }

    /// <summary>
    /// The session got past a namespace's middleware for the first time: from now on it is a real client, not a
    /// handshake that may be abandoned. Stops the connect timeout and tells Engine.IO the session is established, so
    /// it leaves the pending-session cap and its short pending lifetime.
    /// </summary>
    internal void OnFirstNamespaceConnected()
    {
        Interlocked.Exchange(ref _connectTimer, null)?.Dispose();
        Connection.MarkEstablished();
    }

    private void SendConnectError(string nsp, string message, object? data)
    {
        Connection.TrySend(SocketPacketWriter.EncodeConnectError(nsp, message, data, _server.JsonOptions).Messages);
        _server.Metrics.PacketOut(SocketPacketType.ConnectError);
    }

    private SocketHandshake BuildHandshake(SocketPacket packet)
    {
        var engine = Connection.Handshake;
        JsonElement auth;
        if (packet.Payload.Length == 0)
        {
            auth = EmptyAuth;
        }
        else
        {
            var reader = new Utf8JsonReader(packet.Payload);
            auth = JsonElement.ParseValue(ref reader);
        }

        return new SocketHandshake
        {
            Headers = _headers ??= CaseInsensitive(engine.Headers),
            Engine = engine,
            Auth = auth,
            Address = engine.RemoteAddress,
            Time = engine.Issued,
            Url = engine.Url,
            Secure = engine.Secure,
            User = engine.User,
        };
    }

    /// <summary>
    /// Socket.IO promises case-insensitive header names. Engine.IO's snapshot already is (then it is shared, not
    /// copied: headers are the largest thing a connection keeps); any other dictionary is copied once per session.
    /// </summary>
    private static IReadOnlyDictionary<string, string> CaseInsensitive(IReadOnlyDictionary<string, string> headers)
    {
        if (headers is Dictionary<string, string> dictionary && ReferenceEquals(dictionary.Comparer, StringComparer.OrdinalIgnoreCase))
        {
            return dictionary;
        }

        var result = new Dictionary<string, string>(headers.Count, StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in headers)
        {
            result.TryAdd(key, value);
        }

        return result;
    }

    private static string NewSocketId()
    {
        Span<byte> bytes = stackalloc byte[15];
        RandomNumberGenerator.Fill(bytes);
        return Base64Url.EncodeToString(bytes);
    }

    private void OnConnectTimeout()
    {
        bool none;
        lock (_gate)
        {
            none = _sockets.Count == 0;
        }

        if (none && Connection.IsConnected)
        {
            SocketIOLog.ConnectTimeout(_server.Logger, Connection.Id);
            Connection.Close();
        }
    }

    private void CloseForAbuse(string what)
    {
        SocketIOLog.PacketRefused(_server.Logger, Connection.Id, what);
        CloseForInvalidInput();
    }

    private void CloseForParseError()
    {
        SocketIOLog.MalformedPacket(_server.Logger, Connection.Id);
        CloseForInvalidInput();
    }

    /// <summary>
    /// Ends the session the way Engine.IO ends it for an invalid packet (its queue dropped, a polling POST answered
    /// 400), so that a malformed Socket.IO packet costs a client the same over either transport.
    /// </summary>
    private void CloseForInvalidInput()
    {
        _closeReason ??= DisconnectReasons.ParseError;
        _pendingBinary = null;
        Connection.CloseForInvalidInput();
    }

    /// <summary>
    /// Hands one unit of ordered work to the inbound queue. Nothing running: it runs inline, and when it completes
    /// synchronously (the common case) nothing is allocated and replies to a polling POST are queued before the POST
    /// is answered. Otherwise it waits its turn; the returned task completes once the queue has room again, which is
    /// how the Engine.IO read loop (it awaits this before reading the next frame) stops reading from a client whose
    /// handlers fall behind. <paramref name="bounded"/> is false for server-side work (closing sockets), which must
    /// never wait.
    /// </summary>
    private ValueTask Submit(in InboundWork work, bool bounded)
    {
        lock (_queue)
        {
            if (_draining)
            {
                _queue.Enqueue(work);
                if (!bounded || _queue.Count < _server.Options.MaxQueuedInboundPackets)
                {
                    return default;
                }

                _server.Metrics.InboundQueueFull();
                return new ValueTask(WaitForRoomLocked());
            }

            _draining = true;
        }

        Task task;
        try
        {
            task = RunAsync(work);
        }
        catch (Exception ex)
        {
            SocketIOLog.HandlerFailed(_server.Logger, "queue", "?", Connection.Id, ex);
            task = Task.CompletedTask;
        }

        if (task.IsCompletedSuccessfully)
        {
            lock (_queue)
            {
                if (_queue.Count == 0)
                {
                    _draining = false;
                    return default;
                }
            }
        }

        // Work queued while this ran (or this is still running): drain off the reader's path.
        _ = DrainAsync(task);
        return default;
    }

    private Task WaitForRoomLocked()
    {
        var waiter = _roomWaiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // A closing session must never keep its read loop waiting on a stuck handler.
        Connection.Closed.UnsafeRegister(static state => ((TaskCompletionSource)state!).TrySetResult(), waiter);
        return waiter.Task;
    }

    private async Task DrainAsync(Task first)
    {
        await Observe(first);
        while (true)
        {
            InboundWork work;
            TaskCompletionSource? room = null;
            lock (_queue)
            {
                if (!_queue.TryDequeue(out work))
                {
                    _draining = false;
                    (room, _roomWaiter) = (_roomWaiter, null);
                    room?.TrySetResult();
                    return;
                }

                if (_roomWaiter is not null && _queue.Count < _server.Options.MaxQueuedInboundPackets)
                {
                    (room, _roomWaiter) = (_roomWaiter, null);
                }
            }

            room?.TrySetResult();
            Task task;
            try
            {
                task = RunAsync(work);
            }
            catch (Exception ex)
            {
                SocketIOLog.HandlerFailed(_server.Logger, "queue", "?", Connection.Id, ex);
                continue;
            }

            await Observe(task);
        }
    }

    private async Task Observe(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception ex)
        {
            SocketIOLog.HandlerFailed(_server.Logger, "queue", "?", Connection.Id, ex);
        }
    }

    private Task RunAsync(in InboundWork work)
    {
        if (work.Closing is { } closing)
        {
            return closing.RunCloseAsync(work.Reason!);
        }

        var packet = work.Packet!;
        switch (packet.Type)
        {
            case SocketPacketType.Connect:
                return ConnectAsync(packet);
            case SocketPacketType.Disconnect:
                if (Find(packet.Namespace) is { } socket)
                {
                    CloseSocket(socket, DisconnectReasons.ClientNamespaceDisconnect);
                }

                return Task.CompletedTask;
            default:
                return Find(packet.Namespace)?.DispatchAsync(packet) ?? Task.CompletedTask;
        }
    }

    /// <summary>A CONNECT / DISCONNECT / EVENT packet of the client, or the close sequence of one of its sockets.</summary>
    private readonly record struct InboundWork(SocketPacket? Packet, SocketIOSocket? Closing = null, string? Reason = null);
}
