using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;

namespace Raven.EngineIO.Internal;

internal enum SessionPhase
{
    Polling,
    /// <summary>A probe WebSocket is attached; polling still carries traffic until the client sends <c>5</c>.</summary>
    Upgrading,
    WebSocket,
    Closed,
}

/// <summary>How a close treats what is still queued and what a waiting GET receives.</summary>
internal enum CloseKind
{
    /// <summary>Errors and timeouts: the queue is discarded; a waiting GET gets <c>1</c>.</summary>
    Abrupt,
    /// <summary>The client sent <c>1</c>: a waiting GET gets <c>6</c> (as the Node server answers).</summary>
    ClientClose,
    /// <summary>Server-side close: queued messages are still delivered, followed by <c>1</c>.</summary>
    Graceful,
}

internal enum PacketOutcome
{
    Continue,
    Invalid,
    Closed,
}

/// <summary>
/// One Engine.IO session: its phase machine, its outbox, its heartbeat state and the ordered calls into the
/// handler. The transports (<see cref="PollingTransport"/>, <see cref="WebSocketTransport"/>,
/// <see cref="WebSocketUpgrade"/>) move bytes; every state change happens here under <see cref="Gate"/> (the
/// outbox object). Consumers (a polling GET, or the one WebSocket writer loop) park on a reusable signal and then
/// drain the outbox themselves, so only a request's own handler ever writes to its HttpContext. Handler calls
/// are serialized by <see cref="_inbound"/>: the next frame is not dispatched before the handler's task completes.
/// </summary>
internal sealed class EngineSession : IEngineConnection
{
    /// <summary>How long a closed session's WebSocket may take to finish the close handshake before it is aborted.</summary>
    private static readonly TimeSpan TransportAbortDelay = TimeSpan.FromSeconds(3);

    private readonly SemaphoreSlim _inbound = new(1, 1);
    private readonly long _createdAt;

    private CancellationTokenSource? _closedCts;
    private ConcurrentDictionary<object, object?>? _items;
    private ConsumerSignal? _pollSignal;
    private ConsumerSignal? _writerSignal;
    private ConsumerSignal? _parked;
    private CancellationToken _parkedPoll;
    private volatile SessionPhase _phase;
    private int _pending = 1;
    private string _transport;
    private bool _connectedRaised;
    private volatile bool _closedForInvalidInput;

    // Heartbeat: _pingDueAt is the scheduled (not observed) time of the current cycle's ping, so the pong deadline
    // is _pingDueAt + pingTimeout however late the scheduler's tick runs.
    private long _pingDueAt;
    private bool _pingOutstanding;

    public EngineSession(EngineServer server, string id, EngineHandshake handshake, string transport, object? addressKey)
    {
        Server = server;
        Id = id;
        Handshake = handshake;
        AddressKey = addressKey;
        _transport = transport;
        _phase = transport == TransportNames.WebSocket ? SessionPhase.WebSocket : SessionPhase.Polling;
        _createdAt = Stopwatch.GetTimestamp();
        _pingDueAt = _createdAt + server.PingIntervalTicks;
    }

    public string Id { get; }

    public EngineHandshake Handshake { get; }

    public string Transport => Volatile.Read(ref _transport);

    public bool IsConnected => _phase != SessionPhase.Closed;

    public CancellationToken Closed
    {
        get
        {
            if (_closedCts is null)
            {
                var cts = new CancellationTokenSource();
                if (Interlocked.CompareExchange(ref _closedCts, cts, null) is null && _phase == SessionPhase.Closed)
                {
                    cts.Cancel();
                }
            }

            return _closedCts.Token;
        }
    }

    public object? HandlerState { get; set; }

    public IDictionary<object, object?> Items
        => _items ?? Interlocked.CompareExchange(ref _items, new ConcurrentDictionary<object, object?>(1, 1), null) ?? _items;

    internal EngineServer Server { get; }

    /// <summary>The lock for all session state: the outbox object itself (private to the session and its transports).</summary>
    internal SessionOutbox Gate { get; } = new();

    internal SessionOutbox Outbox => Gate;

    /// <summary>The client address this session counts against, or null when per-address limits do not apply.</summary>
    internal object? AddressKey { get; }

    /// <summary>Written by <see cref="HeartbeatScheduler"/> only: the tick of this session's live wheel entry.</summary>
    internal long WheelTick;

    /// <summary>The socket of the running WebSocket transport (<see cref="AttachTransportSocket"/>); aborted shortly
    /// after a close so that a peer which never answers our close frame cannot pin a receive loop.</summary>
    internal WebSocket? TransportSocket { get; private set; }

    /// <summary>Set by <see cref="WebSocketUpgrade"/> while a probe runs; cancelled at once by a close.</summary>
    internal CancellationTokenSource? UpgradeAbort { get; set; }

    internal CloseKind CloseKind { get; private set; }

    internal WebSocketCloseStatus CloseStatus { get; private set; } = WebSocketCloseStatus.NormalClosure;

    /// <summary>A graceful close of a polling session with no GET waiting: the next GET still collects the queue and
    /// the close packet (as in Node), so the client learns it was closed rather than seeing a 400 and reconnecting.</summary>
    internal bool DrainOnNextPoll { get; set; }

    /// <summary>The probe WebSocket of an upgrade in progress, and whether it has answered <c>2probe</c>.</summary>
    internal WebSocket? ProbeSocket { get; set; }

    internal bool Probed { get; set; }

    internal SessionPhase Phase
    {
        get
        {
            lock (Gate)
            {
                return _phase;
            }
        }
    }

    internal int QueuedMessages
    {
        get
        {
            lock (Gate)
            {
                return Gate.QueuedMessages;
            }
        }
    }

    internal bool IsPending => Volatile.Read(ref _pending) == 1;

    private IEngineIOHandler Handler => Server.Handler;

    private EngineIOMetrics Metrics => Server.Metrics;

    /// <summary>Puts the session on the endpoint's heartbeat wheel; the clock started when the session was created.</summary>
    public void StartHeartbeat() => Server.Heartbeats.Schedule(this, NextAttention());

    /// <summary>
    /// True once the current ping went unanswered past its deadline, even if the scheduler has not noticed yet.
    /// Requests see the deadline a few milliseconds early: the session started a little before the client received
    /// its handshake, and a client timer may fire a millisecond early, so a request sent exactly one deadline after
    /// the handshake can otherwise arrive just before it.
    /// </summary>
    public bool IsExpired(long now) => now - Volatile.Read(ref _pingDueAt) >= Server.PingTimeoutTicks - Server.ExpiryTolerance;

    public void MarkEstablished()
    {
        if (Interlocked.Exchange(ref _pending, 0) == 1)
        {
            Server.PendingEnded();
        }
    }

    public bool TrySend(ReadOnlySpan<EngineMessage> messages, bool isVolatile = false)
    {
        lock (Gate)
        {
            if (_phase == SessionPhase.Closed)
            {
                return false;
            }

            if (Gate.TryEnqueue(messages, Server.Options.MaxQueuedMessages))
            {
                SignalLocked(Wake.Data);
                return true;
            }
        }

        if (isVolatile)
        {
            Metrics.Dropped(messages.Length);
            EngineIOLog.VolatileDropped(Server.Logger, Id, messages.Length);
            return false;
        }

        Metrics.SlowConsumerClosed();
        EngineIOLog.SlowConsumer(Server.Logger, Id);
        Close(EngineCloseReasons.SlowConsumer, CloseKind.Abrupt);
        return false;
    }

    public void Close() => Close(EngineCloseReasons.ForcedClose, CloseKind.Graceful);

    /// <summary>Ends the session once; later calls do nothing. Never call while holding <see cref="Gate"/>.</summary>
    public bool Close(string reason, CloseKind kind, WebSocketCloseStatus status = WebSocketCloseStatus.NormalClosure)
    {
        bool drain;
        WebSocket? transportSocket;
        lock (Gate)
        {
            if (_phase == SessionPhase.Closed)
            {
                return false;
            }

            _phase = SessionPhase.Closed;
            CloseKind = kind;
            CloseStatus = status;
            if (kind != CloseKind.Graceful)
            {
                Gate.Clear();
            }

            transportSocket = TransportSocket;
            var hadConsumer = _parked is not null;
            SignalLocked(kind == CloseKind.ClientClose ? Wake.Noop : Wake.Closed);
            ProbeSocket = null;
            drain = DrainOnNextPoll = kind == CloseKind.Graceful && !hadConsumer && _transport == TransportNames.Polling;
        }

        MarkEstablished();
        if (drain)
        {
            _ = RemoveLaterAsync(Server.Options.PingInterval + Server.Options.PingTimeout);
        }
        else
        {
            Server.Remove(this);
        }

        EngineIOLog.SessionClosed(Server.Logger, Id, reason);
        var cts = Interlocked.CompareExchange(ref _closedCts, null, null);
        try
        {
            cts?.Cancel();
        }
        catch (AggregateException ex)
        {
            // An application callback registered on Closed threw; the session is closed regardless.
            EngineIOLog.HandlerFailed(Server.Logger, Id, ex);
        }

        try
        {
            UpgradeAbort?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The upgrade finished meanwhile; nothing left to abort.
        }

        if (transportSocket is not null)
        {
            _ = AbortTransportLaterAsync(transportSocket);
        }
        _ = RaiseClosedAsync(reason);
        return true;
    }

    private async Task RemoveLaterAsync(TimeSpan grace)
    {
        await Task.Delay(grace).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        Server.Remove(this);
    }

    /// <summary>Raises OnConnected; false if the handler failed (the session is then closed).</summary>
    public async Task<bool> ConnectAsync()
    {
        await _inbound.WaitAsync();
        try
        {
            if (!IsConnected)
            {
                return false;
            }

            _connectedRaised = true;
            await Handler.OnConnectedAsync(this);
            return true;
        }
        catch (Exception ex)
        {
            EngineIOLog.HandlerFailed(Server.Logger, Id, ex);
            Close(EngineCloseReasons.TransportError, CloseKind.Abrupt);
            return false;
        }
        finally
        {
            _inbound.Release();
        }
    }

    private async Task RaiseClosedAsync(string reason)
    {
        await _inbound.WaitAsync();
        try
        {
            if (_connectedRaised)
            {
                await Handler.OnClosedAsync(this, reason);
            }
        }
        catch (Exception ex)
        {
            EngineIOLog.OnClosedFailed(Server.Logger, Id, ex);
        }
        finally
        {
            _inbound.Release();
        }
    }

    // Phase changes of the upgrade (called by WebSocketUpgrade).

    /// <summary>Attaches a probe socket to a polling session; false if the session is not in the polling phase.</summary>
    internal bool TryBeginUpgrade(WebSocket socket)
    {
        lock (Gate)
        {
            if (_phase != SessionPhase.Polling)
            {
                return false;
            }

            _phase = SessionPhase.Upgrading;
            ProbeSocket = socket;
            Probed = false;
            return true;
        }
    }

    internal void ProbeAnswered(WebSocket socket)
    {
        lock (Gate)
        {
            if (ProbeSocket == socket)
            {
                Probed = true;
                // A GET held open now would delay the client's pause; release it with a noop.
                SignalLocked(Wake.Noop);
            }
        }
    }

    /// <summary>The client sent <c>5</c>: the WebSocket now carries the session.</summary>
    internal bool TryCompleteUpgrade(WebSocket socket)
    {
        lock (Gate)
        {
            if (_phase != SessionPhase.Upgrading || ProbeSocket != socket)
            {
                return false;
            }

            _phase = SessionPhase.WebSocket;
            ProbeSocket = null;
            Probed = false;
            Volatile.Write(ref _transport, TransportNames.WebSocket);
            SignalLocked(Wake.Noop);
        }

        Metrics.Upgraded();
        return true;
    }

    internal void AbandonUpgrade(WebSocket socket)
    {
        lock (Gate)
        {
            if (_phase == SessionPhase.Upgrading && ProbeSocket == socket)
            {
                _phase = SessionPhase.Polling;
                ProbeSocket = null;
                Probed = false;
            }
        }
    }

    // Heartbeat (driven by the endpoint's HeartbeatScheduler).

    /// <summary>
    /// Called by the scheduler when this session is due: sends the ping, enforces the pong deadline and the pending
    /// lifetime. Returns when the session next needs attention (a Stopwatch timestamp), or 0 when it is closed.
    /// </summary>
    internal long OnHeartbeat(long now)
    {
        string? closeReason = null;
        lock (Gate)
        {
            if (_phase == SessionPhase.Closed)
            {
                return 0;
            }

            if (!_pingOutstanding && now >= _pingDueAt)
            {
                Gate.EnqueueControl(PacketType.Ping);
                _pingOutstanding = true;
                SignalLocked(Wake.Data);
            }
            else if (_pingOutstanding && now >= _pingDueAt + Server.PingTimeoutTicks)
            {
                closeReason = EngineCloseReasons.PingTimeout;
            }
        }

        if (closeReason is null && IsPending && now >= _createdAt + Server.PendingTimeoutTicks)
        {
            EngineIOLog.PendingExpired(Server.Logger, Id);
            closeReason = EngineCloseReasons.TransportClose;
        }

        if (closeReason is not null)
        {
            Close(closeReason, CloseKind.Abrupt);
            return 0;
        }

        return NextAttention();
    }

    private long NextAttention()
    {
        long next;
        lock (Gate)
        {
            next = _pingOutstanding ? _pingDueAt + Server.PingTimeoutTicks : _pingDueAt;
        }

        return IsPending ? Math.Min(next, _createdAt + Server.PendingTimeoutTicks) : next;
    }

    private void OnPong()
    {
        long due;
        lock (Gate)
        {
            if (!_pingOutstanding)
            {
                return;
            }

            _pingOutstanding = false;
            due = Stopwatch.GetTimestamp() + Server.PingIntervalTicks;
            Volatile.Write(ref _pingDueAt, due);
        }

        // The wheel still holds this session at the old pong deadline; the next ping may be due earlier.
        Server.Heartbeats.ScheduleEarlier(this, due);
    }

    /// <summary>
    /// The WebSocket transport starts: <paramref name="socket"/> carries the session from now on. Held in a field, not
    /// a CancellationTokenSource with a registration per connection: the abort is scheduled only when a close happens.
    /// </summary>
    internal void AttachTransportSocket(WebSocket socket)
    {
        bool closed;
        lock (Gate)
        {
            TransportSocket = socket;
            closed = _phase == SessionPhase.Closed;
        }

        if (closed)
        {
            _ = AbortTransportLaterAsync(socket);
        }
    }

    /// <summary>The transport has finished with <paramref name="socket"/>; a pending abort then leaves it alone.</summary>
    internal void DetachTransportSocket(WebSocket socket)
    {
        lock (Gate)
        {
            if (TransportSocket == socket)
            {
                TransportSocket = null;
            }
        }
    }

    private async Task AbortTransportLaterAsync(WebSocket socket)
    {
        await Task.Delay(TransportAbortDelay).ConfigureAwait(false);
        lock (Gate)
        {
            if (TransportSocket != socket)
            {
                return;
            }
        }

        // Fails the transport's pending receive and send, which ends its loops.
        socket.Abort();
    }

    // Consumers of the outbox (the transports).

    /// <summary>Wakes the waiting consumer, if any. Caller holds <see cref="Gate"/>.</summary>
    internal void SignalLocked(Wake wake)
    {
        var parked = _parked;
        if (parked is not null)
        {
            _parked = null;
            parked.TrySignal(wake);
        }
    }

    /// <summary>Whether a consumer is parked. Caller holds <see cref="Gate"/>.</summary>
    internal bool HasParkedConsumerLocked => _parked is not null;

    /// <summary>
    /// Parks a polling GET. Caller holds <see cref="Gate"/>. False if the previous GET's wake-up has not been read
    /// yet: that GET is still answering, so this one overlaps it.
    /// </summary>
    internal bool TryParkPollLocked(CancellationToken requestAborted, out ValueTask<Wake> wait)
    {
        var signal = _pollSignal ??= new ConsumerSignal();
        if (!signal.IsIdle)
        {
            wait = default;
            return false;
        }

        _parked = signal;
        _parkedPoll = requestAborted;
        wait = signal.Arm();
        return true;
    }

    /// <summary>Wakes the parked GET of <paramref name="requestAborted"/> with <see cref="Wake.Aborted"/>, if it is still parked.</summary>
    internal void AbortParkedPoll(CancellationToken requestAborted)
    {
        lock (Gate)
        {
            if (_parked is not null && _parked == _pollSignal && _parkedPoll == requestAborted)
            {
                SignalLocked(Wake.Aborted);
            }
        }
    }

    /// <summary>Parks the WebSocket writer loop. Caller holds <see cref="Gate"/>.</summary>
    internal ValueTask<Wake> ParkWriterLocked()
    {
        var signal = _writerSignal ??= new ConsumerSignal();
        _parked = signal;
        return signal.Arm();
    }

    /// <summary>Forgets a parked GET that was woken and then abandoned. Caller holds <see cref="Gate"/>.</summary>
    internal void UnparkLocked(ConsumerSignal? signal)
    {
        if (_parked == signal)
        {
            _parked = null;
        }
    }

    internal ConsumerSignal? PollSignal => _pollSignal;

    // Inbound packets (both transports).

    /// <summary>Hands a polling payload's packets to the handler in order.</summary>
    internal async Task<PacketOutcome> ProcessPayloadAsync(ReadOnlySequence<byte> payload)
    {
        // A text frame that is not UTF-8 never reaches the handler over WebSocket (the WebSocket layer refuses it),
        // so a polling payload that is not UTF-8 is refused as a whole too, before any of its packets is handled.
        if (payload.IsEmpty || !EngineProtocol.IsValidUtf8(payload))
        {
            CloseForInvalidInput();
            return PacketOutcome.Invalid;
        }

        await _inbound.WaitAsync();
        try
        {
            var remaining = payload;
            var last = false;
            var packets = 0;
            while (!last)
            {
                var packet = EngineProtocol.TakePacket(ref remaining, out last);
                if (!IsConnected)
                {
                    return PacketOutcome.Closed;
                }

                packets++;
                var outcome = await DispatchTextPacketAsync(packet);
                if (outcome != PacketOutcome.Continue)
                {
                    return outcome;
                }
            }

            Metrics.Received(packets, payload.Length);
            return PacketOutcome.Continue;
        }
        finally
        {
            _inbound.Release();
        }
    }

    /// <summary>Hands one WebSocket message to the handler; returns once the handler's task has completed.</summary>
    internal async ValueTask<PacketOutcome> ProcessFrameAsync(ReadOnlySequence<byte> data, bool binary)
    {
        await _inbound.WaitAsync();
        try
        {
            if (!IsConnected)
            {
                return PacketOutcome.Closed;
            }

            Metrics.Received(1, data.Length);
            return binary ? await DispatchBinaryAsync(data) : await DispatchTextPacketAsync(data);
        }
        finally
        {
            _inbound.Release();
        }
    }

    public void CloseForInvalidInput()
    {
        _closedForInvalidInput = true;
        EngineIOLog.InvalidPacket(Server.Logger, Id);
        Close(EngineCloseReasons.ParseError, CloseKind.Abrupt);
    }

    /// <summary>Continue, unless the handler found the message it was just given malformed and closed the session.</summary>
    private PacketOutcome AfterHandler() => _closedForInvalidInput ? PacketOutcome.Invalid : PacketOutcome.Continue;

    /// <summary>Handles one text-encoded packet (either transport). Caller holds <see cref="_inbound"/>.</summary>
    private async ValueTask<PacketOutcome> DispatchTextPacketAsync(ReadOnlySequence<byte> packet)
    {
        var reader = new SequenceReader<byte>(packet);
        if (!reader.TryRead(out var type))
        {
            CloseForInvalidInput();
            return PacketOutcome.Invalid;
        }

        var data = packet.Slice(1);
        try
        {
            switch (type)
            {
                case PacketType.Message:
                    EstablishOnMessage();
                    await Handler.OnTextAsync(this, data);
                    return AfterHandler();
                case PacketType.Base64Binary:
                    if (!EngineProtocol.TryDecodeBase64(data, out var rented, out var length))
                    {
                        CloseForInvalidInput();
                        return PacketOutcome.Invalid;
                    }

                    try
                    {
                        EstablishOnMessage();
                        await Handler.OnBinaryAsync(this, new ReadOnlySequence<byte>(rented, 0, length));
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(rented);
                    }

                    return AfterHandler();
                case PacketType.Pong:
                    OnPong();
                    return PacketOutcome.Continue;
                case PacketType.Close:
                    Close(EngineCloseReasons.TransportClose, CloseKind.ClientClose);
                    return PacketOutcome.Closed;
                case PacketType.Open or PacketType.Upgrade or PacketType.Noop:
                    // Valid packet types with no meaning here; the Node server ignores them too.
                    return PacketOutcome.Continue;
                default:
                    // Includes 2 (ping): in v4 only the server pings.
                    CloseForInvalidInput();
                    return PacketOutcome.Invalid;
            }
        }
        catch (Exception ex)
        {
            EngineIOLog.HandlerFailed(Server.Logger, Id, ex);
            Close(EngineCloseReasons.TransportError, CloseKind.Abrupt);
            return PacketOutcome.Closed;
        }
    }

    private async ValueTask<PacketOutcome> DispatchBinaryAsync(ReadOnlySequence<byte> data)
    {
        try
        {
            EstablishOnMessage();
            await Handler.OnBinaryAsync(this, data);
            return AfterHandler();
        }
        catch (Exception ex)
        {
            EngineIOLog.HandlerFailed(Server.Logger, Id, ex);
            Close(EngineCloseReasons.TransportError, CloseKind.Abrupt);
            return PacketOutcome.Closed;
        }
    }

    private void EstablishOnMessage()
    {
        if (IsPending && Server.Options.Limits.EstablishOnFirstMessage)
        {
            MarkEstablished();
        }
    }
}
