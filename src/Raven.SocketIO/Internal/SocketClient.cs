using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Raven.EngineIO;
using Raven.SocketIO.Protocol;

namespace Raven.SocketIO.Internal;

/// <summary>
/// The Socket.IO side of one Engine.IO session: decodes its packets, joins binary attachments to them, and
/// multiplexes namespaces. CONNECT, EVENT and DISCONNECT work runs through one ordered queue per session, so a
/// client's packets are handled in arrival order; acknowledgements skip the queue so a handler awaiting one
/// cannot deadlock.
/// </summary>
internal sealed class SocketClient
{
    private static readonly JsonElement EmptyAuth = JsonDocument.Parse("{}").RootElement.Clone();

    private readonly SocketIOServer _server;
    private readonly object _gate = new();
    private readonly Dictionary<string, SocketIOSocket> _sockets = new(StringComparer.Ordinal);
    private readonly Queue<Func<Task>> _queue = new();
    private bool _draining;
    private SocketPacket? _pendingBinary;
    private long _pendingBytes;
    private Timer? _connectTimer;
    private string? _closeReason;
    private IReadOnlyDictionary<string, string>? _headers;

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

    public void OnText(ReadOnlySequence<byte> utf8)
    {
        if (_pendingBinary is not null || !SocketPacketParser.TryParse(utf8, _server.Options.MaxAttachments, out var packet))
        {
            // Text while attachments are still expected is as malformed as bad text.
            CloseForParseError();
            return;
        }

        if (packet.AttachmentCount > 0)
        {
            // Attachments are held until the last one arrives: only a session that got past a namespace's
            // middleware (authentication) may make the server hold them, and only up to maxHttpBufferSize.
            if (!HasSockets)
            {
                CloseForAbuse("binary packet before CONNECT");
                return;
            }

            _pendingBinary = packet;
            _pendingBytes = utf8.Length;
            return;
        }

        Route(packet);
    }

    public void OnBinary(ReadOnlySequence<byte> data)
    {
        var packet = _pendingBinary;
        if (packet is null)
        {
            CloseForParseError();
            return;
        }

        _pendingBytes += data.Length;
        if (_pendingBytes > _server.MaxPacketBytes)
        {
            CloseForAbuse("packet with attachments larger than maxHttpBufferSize");
            return;
        }

        // The transport's buffer is pooled: the attachment must outlive this call.
        packet.Attachments[packet.ReceivedAttachments++] = data.ToArray();
        if (packet.IsComplete)
        {
            _pendingBinary = null;
            Route(packet);
        }
    }

    public void OnClosed(string reason)
    {
        reason = _closeReason ?? reason;
        Interlocked.Exchange(ref _connectTimer, null)?.Dispose();
        _pendingBinary = null;
        SocketIOSocket[] sockets;
        lock (_gate)
        {
            sockets = [.. _sockets.Values];
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
        Enqueue(() => socket.RunCloseAsync(reason));
    }

    /// <summary>Server-side disconnect of every namespace, then the connection (Node's <c>socket.disconnect(true)</c>).</summary>
    public void DisconnectAll()
    {
        SocketIOSocket[] sockets;
        lock (_gate)
        {
            sockets = [.. _sockets.Values];
        }

        foreach (var socket in sockets)
        {
            socket.Disconnect();
        }

        Connection.Close();
    }

    private void Route(SocketPacket packet)
    {
        switch (packet.Type)
        {
            case SocketPacketType.Connect:
                Enqueue(() => ConnectAsync(packet));
                break;
            case SocketPacketType.Disconnect:
                Enqueue(() =>
                {
                    if (Find(packet.Namespace) is { } socket)
                    {
                        CloseSocket(socket, DisconnectReasons.ClientNamespaceDisconnect);
                    }

                    return Task.CompletedTask;
                });
                break;
            case SocketPacketType.Event:
            case SocketPacketType.BinaryEvent:
                Enqueue(() => Find(packet.Namespace)?.DispatchAsync(packet) ?? Task.CompletedTask);
                break;
            case SocketPacketType.Ack:
            case SocketPacketType.BinaryAck:
                Find(packet.Namespace)?.OnAckPacket(packet);
                break;
            default:
                // CONNECT_ERROR is server-to-client only; Node ignores it too.
                break;
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

        lock (_gate)
        {
            _sockets[nsp.Name] = socket;
        }

        Interlocked.Exchange(ref _connectTimer, null)?.Dispose();
        nsp.Add(socket);
        if (!Connection.IsConnected)
        {
            // The session closed while middleware ran, possibly after OnClosed looked for sockets to close.
            CloseSocket(socket, DisconnectReasons.TransportClose);
            return;
        }

        Connection.TrySend(SocketPacketWriter.EncodeConnect(nsp.Name, socket.Id).Messages);
        SocketIOLog.SocketConnected(_server.Logger, socket.Id, nsp.Name);
        await nsp.RunConnectionHandlersAsync(socket);
    }

    private void SendConnectError(string nsp, string message, object? data)
        => Connection.TrySend(SocketPacketWriter.EncodeConnectError(nsp, message, data, _server.JsonOptions).Messages);

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
            Query = engine.Query,
            Auth = auth,
            Address = engine.RemoteAddress,
            Time = engine.Issued,
            Url = engine.Url,
            Secure = engine.Secure,
            User = engine.User,
        };
    }

    private static Dictionary<string, string> CaseInsensitive(IReadOnlyDictionary<string, string> headers)
    {
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
        return Convert.ToBase64String(bytes).Replace('+', '-').Replace('/', '_');
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
        Close(DisconnectReasons.ParseError);
    }

    private void CloseForParseError()
    {
        SocketIOLog.MalformedPacket(_server.Logger, Connection.Id);
        Close(DisconnectReasons.ParseError);
    }

    private void Close(string reason)
    {
        _closeReason ??= reason;
        _pendingBinary = null;
        Connection.Close();
    }

    /// <summary>
    /// Runs <paramref name="work"/> after everything queued before it. Work that completes synchronously runs inline,
    /// so replies to a polling POST are queued before the POST is answered.
    /// </summary>
    private void Enqueue(Func<Task> work)
    {
        lock (_queue)
        {
            _queue.Enqueue(work);
            if (_draining)
            {
                return;
            }

            _draining = true;
        }

        _ = DrainAsync();
    }

    private async Task DrainAsync()
    {
        while (true)
        {
            Func<Task> work;
            lock (_queue)
            {
                if (!_queue.TryDequeue(out work!))
                {
                    _draining = false;
                    return;
                }
            }

            try
            {
                await work();
            }
            catch (Exception ex)
            {
                SocketIOLog.HandlerFailed(_server.Logger, "queue", "?", Connection.Id, ex);
            }
        }
    }
}
