using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Http;

namespace Raven.EngineIO.Internal;

internal enum SessionPhase
{
    Polling,
    /// <summary>A probe WebSocket is attached; polling still carries traffic until the client sends <c>5</c>.</summary>
    Upgrading,
    WebSocket,
    Closed,
}

/// <summary>Why a waiting consumer (a polling GET or the WebSocket writer) was woken.</summary>
internal enum Wake
{
    Data,
    Noop,
    Closed,
    Overlap,
    Aborted,
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

/// <summary>An entry of the send queue: a message, or a bare control packet type.</summary>
internal readonly record struct OutFrame(EngineMessage? Message, byte Control);

/// <summary>
/// One Engine.IO session. All state changes happen under <see cref="_gate"/>; consumers (a polling GET, or the one
/// WebSocket writer loop) wait on a signal and then drain the queue themselves, so only a request's own handler
/// ever writes to its HttpContext. Handler calls are serialized by <see cref="_inbound"/>.
/// </summary>
internal sealed class EngineSession : IEngineConnection
{
    private static readonly byte[][] ControlFrames = CreateControlFrames();
    private static readonly byte[] ProbeReply = "3probe"u8.ToArray();

    private readonly EngineServer _server;
    private readonly object _gate = new();
    private readonly Queue<OutFrame> _queue = new();
    private readonly SemaphoreSlim _inbound = new(1, 1);
    private readonly CancellationTokenSource _closedCts = new();
    // Cancelled shortly after a close so that a peer which never answers our close frame cannot pin a receive loop.
    private readonly CancellationTokenSource _receiveAbort = new();
    private readonly long _pingIntervalTicks;
    private readonly long _pingTimeoutTicks;
    private readonly long _expiryTolerance;

    private int _queuedMessages;
    private TaskCompletionSource<Wake>? _consumer;
    private volatile SessionPhase _phase;
    private bool _probed;
    private WebSocket? _probeSocket;
    private CloseKind _closeKind;
    private WebSocketCloseStatus _closeStatus = WebSocketCloseStatus.NormalClosure;
    private string _transport;
    private bool _connectedRaised;
    // A graceful close of a polling session with no GET waiting: the next GET still collects the queue and the
    // close packet (as in Node), so the client learns it was closed rather than seeing a 400 and reconnecting.
    private bool _drainOnNextPoll;

    // Heartbeat: _pingDueAt is the scheduled (not observed) time of the current cycle's ping, so the pong deadline
    // is _pingDueAt + pingTimeout however late a timer callback runs.
    private long _pingDueAt;
    private bool _pingOutstanding;
    private TaskCompletionSource? _pongSignal;

    public EngineSession(EngineServer server, string id, EngineHandshake handshake, string transport)
    {
        _server = server;
        Id = id;
        Handshake = handshake;
        _transport = transport;
        _phase = transport == TransportNames.WebSocket ? SessionPhase.WebSocket : SessionPhase.Polling;
        _pingIntervalTicks = ToTicks(server.Options.PingInterval);
        _pingTimeoutTicks = ToTicks(server.Options.PingTimeout);
        _expiryTolerance = Math.Min(_pingTimeoutTicks / 50, ToTicks(TimeSpan.FromMilliseconds(5)));
        _pingDueAt = Stopwatch.GetTimestamp() + _pingIntervalTicks;
    }

    public string Id { get; }

    public EngineHandshake Handshake { get; }

    public string Transport => Volatile.Read(ref _transport);

    public bool IsConnected => _phase != SessionPhase.Closed;

    public CancellationToken Closed => _closedCts.Token;

    public IDictionary<object, object?> Items { get; } = new ConcurrentDictionary<object, object?>();

    internal SessionPhase Phase
    {
        get
        {
            lock (_gate)
            {
                return _phase;
            }
        }
    }

    internal int QueuedMessages
    {
        get
        {
            lock (_gate)
            {
                return _queuedMessages;
            }
        }
    }

    private IEngineIOHandler Handler => _server.Handler;

    public void StartHeartbeat() => _ = HeartbeatAsync();

    /// <summary>
    /// True once the current ping went unanswered past its deadline, even if no timer has noticed yet. Requests
    /// see the deadline a few milliseconds early: the session started a little before the client received its
    /// handshake, and a client timer may fire a millisecond early, so a request sent exactly one deadline after the
    /// handshake can otherwise arrive just before it.
    /// </summary>
    public bool IsExpired(long now) => now - Volatile.Read(ref _pingDueAt) >= _pingTimeoutTicks - _expiryTolerance;

    public bool TrySend(ReadOnlySpan<EngineMessage> messages, bool isVolatile = false)
    {
        lock (_gate)
        {
            if (_phase == SessionPhase.Closed)
            {
                return false;
            }

            if (_queuedMessages + messages.Length <= _server.Options.MaxQueuedMessages)
            {
                foreach (var message in messages)
                {
                    _queue.Enqueue(new OutFrame(message, 0));
                }

                _queuedMessages += messages.Length;
                SignalLocked(Wake.Data);
                return true;
            }
        }

        if (isVolatile)
        {
            EngineIOLog.VolatileDropped(_server.Logger, Id, messages.Length);
            return false;
        }

        EngineIOLog.SlowConsumer(_server.Logger, Id);
        Close(EngineCloseReasons.SlowConsumer, CloseKind.Abrupt);
        return false;
    }

    public void Close() => Close(EngineCloseReasons.ForcedClose, CloseKind.Graceful);

    /// <summary>Ends the session once; later calls do nothing. Never call while holding <see cref="_gate"/>.</summary>
    public bool Close(string reason, CloseKind kind, WebSocketCloseStatus status = WebSocketCloseStatus.NormalClosure)
    {
        TaskCompletionSource<Wake>? consumer;
        lock (_gate)
        {
            if (_phase == SessionPhase.Closed)
            {
                return false;
            }

            _phase = SessionPhase.Closed;
            _closeKind = kind;
            _closeStatus = status;
            if (kind != CloseKind.Graceful)
            {
                _queue.Clear();
                _queuedMessages = 0;
            }

            consumer = _consumer;
            _consumer = null;
            _probeSocket = null;
            _pongSignal = null;
            _drainOnNextPoll = kind == CloseKind.Graceful && consumer is null && _transport == TransportNames.Polling;
        }

        consumer?.TrySetResult(kind == CloseKind.ClientClose ? Wake.Noop : Wake.Closed);
        if (_drainOnNextPoll)
        {
            _ = RemoveLaterAsync(_server.Options.PingInterval + _server.Options.PingTimeout);
        }
        else
        {
            _server.Remove(this);
        }

        EngineIOLog.SessionClosed(_server.Logger, Id, reason);
        try
        {
            _closedCts.Cancel();
        }
        catch (AggregateException ex)
        {
            // An application callback registered on Closed threw; the session is closed regardless.
            EngineIOLog.HandlerFailed(_server.Logger, Id, ex);
        }

        _receiveAbort.CancelAfter(TimeSpan.FromSeconds(3));
        _ = RaiseClosedAsync(reason);
        return true;
    }

    private async Task RemoveLaterAsync(TimeSpan grace)
    {
        await Task.Delay(grace).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _server.Remove(this);
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
            EngineIOLog.HandlerFailed(_server.Logger, Id, ex);
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
            EngineIOLog.OnClosedFailed(_server.Logger, Id, ex);
        }
        finally
        {
            _inbound.Release();
        }
    }

    // ---------------------------------------------------------------- heartbeat

    private async Task HeartbeatAsync()
    {
        var closed = _closedCts.Token;
        try
        {
            while (true)
            {
                var due = Volatile.Read(ref _pingDueAt);
                var untilPing = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (untilPing > TimeSpan.Zero)
                {
                    await Task.Delay(untilPing, closed).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }

                TaskCompletionSource pong;
                lock (_gate)
                {
                    if (_phase == SessionPhase.Closed)
                    {
                        return;
                    }

                    _queue.Enqueue(new OutFrame(null, PacketType.Ping));
                    _pingOutstanding = true;
                    pong = _pongSignal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    SignalLocked(Wake.Data);
                }

                var untilDeadline = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due + _pingTimeoutTicks);
                if (untilDeadline > TimeSpan.Zero)
                {
                    await pong.Task.WaitAsync(untilDeadline, closed).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }

                bool timedOut;
                lock (_gate)
                {
                    if (_phase == SessionPhase.Closed)
                    {
                        return;
                    }

                    timedOut = _pingOutstanding;
                }

                if (timedOut)
                {
                    Close(EngineCloseReasons.PingTimeout, CloseKind.Abrupt);
                    return;
                }
            }
        }
        catch (Exception ex)
        {
            EngineIOLog.TransportFailed(_server.Logger, Id, ex);
            Close(EngineCloseReasons.TransportError, CloseKind.Abrupt);
        }
    }

    private void OnPong()
    {
        TaskCompletionSource? signal;
        lock (_gate)
        {
            if (!_pingOutstanding)
            {
                return;
            }

            _pingOutstanding = false;
            Volatile.Write(ref _pingDueAt, Stopwatch.GetTimestamp() + _pingIntervalTicks);
            signal = _pongSignal;
            _pongSignal = null;
        }

        signal?.TrySetResult();
    }

    // ---------------------------------------------------------------- queue

    /// <summary>Wakes the waiting consumer, if any. Caller holds <see cref="_gate"/>.</summary>
    private void SignalLocked(Wake wake)
    {
        var consumer = _consumer;
        if (consumer is not null)
        {
            _consumer = null;
            consumer.TrySetResult(wake);
        }
    }

    /// <summary>Moves every queued frame into a rented array. Caller holds <see cref="_gate"/>.</summary>
    private int TakeAllLocked(out OutFrame[] frames)
    {
        var count = _queue.Count;
        if (count == 0)
        {
            frames = [];
            return 0;
        }

        frames = ArrayPool<OutFrame>.Shared.Rent(count);
        for (var i = 0; i < count; i++)
        {
            var frame = _queue.Dequeue();
            frames[i] = frame;
            if (frame.Message is not null)
            {
                _queuedMessages--;
            }
        }

        return count;
    }

    private static void ReturnFrames(OutFrame[] frames, int count)
    {
        if (frames.Length > 0)
        {
            Array.Clear(frames, 0, count);
            ArrayPool<OutFrame>.Shared.Return(frames);
        }
    }

    // ---------------------------------------------------------------- polling

    /// <summary>A long-polling GET: answers at once if anything is queued, otherwise waits for a signal.</summary>
    public async Task PollAsync(HttpContext context)
    {
        TaskCompletionSource<Wake>? waiter = null;
        TaskCompletionSource<Wake>? overlapped = null;
        var frames = Array.Empty<OutFrame>();
        var count = 0;
        var noop = false;
        var drainAndClose = false;
        lock (_gate)
        {
            if (_phase == SessionPhase.Closed && _drainOnNextPoll)
            {
                _drainOnNextPoll = false;
                count = TakeAllLocked(out frames);
                drainAndClose = true;
            }
            else if (_phase is SessionPhase.Closed or SessionPhase.WebSocket)
            {
                // Raced with a close or an upgrade since the lookup.
            }
            else if (_consumer is not null)
            {
                overlapped = _consumer;
                _consumer = null;
            }
            else if (_phase == SessionPhase.Upgrading && _probed)
            {
                noop = true;
            }
            else if (_queue.Count > 0)
            {
                count = TakeAllLocked(out frames);
            }
            else
            {
                waiter = _consumer = new TaskCompletionSource<Wake>(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        if (overlapped is not null)
        {
            // Two GETs at once: the client is confused or hostile. Node answers the first with a close packet.
            overlapped.TrySetResult(Wake.Overlap);
            Close(EngineCloseReasons.TransportError, CloseKind.Abrupt);
            await _server.RejectAsync(context, EngineError.BadRequest);
            return;
        }

        if (noop)
        {
            await WriteControlAsync(context, PacketType.Noop);
            return;
        }

        if (drainAndClose)
        {
            _server.Remove(this);
            await WritePayloadAsync(context, frames, count, trailingClose: true);
            return;
        }

        if (waiter is null && count == 0)
        {
            await _server.RejectAsync(context, IsConnected ? EngineError.BadRequest : EngineError.UnknownSid);
            return;
        }

        if (waiter is not null)
        {
            Wake wake;
            using (context.RequestAborted.Register(static state => ((TaskCompletionSource<Wake>)state!).TrySetResult(Wake.Aborted), waiter))
            {
                wake = await waiter.Task;
            }

            switch (wake)
            {
                case Wake.Aborted:
                    lock (_gate)
                    {
                        if (_consumer == waiter)
                        {
                            _consumer = null;
                        }
                    }

                    Close(EngineCloseReasons.TransportError, CloseKind.Abrupt);
                    return;
                case Wake.Noop:
                    await WriteControlAsync(context, PacketType.Noop);
                    return;
                case Wake.Overlap:
                    await WriteControlAsync(context, PacketType.Close);
                    return;
                case Wake.Closed:
                    lock (_gate)
                    {
                        count = TakeAllLocked(out frames);
                    }

                    await WritePayloadAsync(context, frames, count, trailingClose: true);
                    return;
                default:
                    var closed = false;
                    lock (_gate)
                    {
                        if (_phase == SessionPhase.Upgrading && _probed)
                        {
                            noop = true;
                        }
                        else
                        {
                            // Closed since the wake-up (say, a late heartbeat found the deadline passed): an abrupt
                            // close emptied the queue, a graceful one left it to deliver. Either way the client
                            // must learn of the close now, not from a 400 on its next GET.
                            closed = _phase == SessionPhase.Closed;
                            count = TakeAllLocked(out frames);
                        }
                    }

                    if (closed)
                    {
                        await WritePayloadAsync(context, frames, count, trailingClose: true);
                        return;
                    }

                    if (noop || count == 0)
                    {
                        await WriteControlAsync(context, PacketType.Noop);
                        return;
                    }

                    break;
            }
        }

        await WritePayloadAsync(context, frames, count, trailingClose: false);
    }

    private static Task WriteControlAsync(HttpContext context, byte type)
        => WritePayloadAsync(context, [], 0, trailingClose: false, control: type);

    private static async Task WritePayloadAsync(HttpContext context, OutFrame[] frames, int count, bool trailingClose, byte control = 0)
    {
        try
        {
            long length = control != 0 ? 1 : 0;
            for (var i = 0; i < count; i++)
            {
                length += PollingBytes(frames[i]).Length + (length > 0 ? 1 : 0);
            }

            if (trailingClose)
            {
                length += length > 0 ? 2 : 1;
            }

            var response = context.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "text/plain; charset=UTF-8";
            response.ContentLength = length;
            var writer = response.BodyWriter;
            var first = true;
            for (var i = 0; i < count; i++)
            {
                WriteRecord(writer, PollingBytes(frames[i]).Span, ref first);
            }

            if (control != 0)
            {
                WriteRecord(writer, ControlFrames[control - '0'], ref first);
            }

            if (trailingClose)
            {
                WriteRecord(writer, ControlFrames[PacketType.Close - '0'], ref first);
            }

            await writer.FlushAsync(context.RequestAborted);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or Microsoft.AspNetCore.Connections.ConnectionAbortedException)
        {
            // The client left mid-response; what was taken from the queue is lost, as with any dropped connection.
        }
        finally
        {
            ReturnFrames(frames, count);
        }

        static void WriteRecord(PipeWriter writer, ReadOnlySpan<byte> bytes, ref bool first)
        {
            if (!first)
            {
                writer.GetSpan(1)[0] = PacketType.RecordSeparator;
                writer.Advance(1);
            }

            first = false;
            writer.Write(bytes);
        }
    }

    private static ReadOnlyMemory<byte> PollingBytes(in OutFrame frame) => frame.Message switch
    {
        null => ControlFrames[frame.Control - '0'],
        { IsBinary: true } message => message.GetBase64ForPolling(),
        var message => message.GetPrefixedText(),
    };

    /// <summary>A polling POST: reads the whole payload, hands its packets to the handler, then answers <c>ok</c>.</summary>
    public async Task PostAsync(HttpContext context)
    {
        if (!IsConnected)
        {
            await _server.RejectAsync(context, EngineError.UnknownSid);
            return;
        }

        var limit = _server.Options.MaxHttpBufferSize;
        if (context.Request.ContentLength > limit)
        {
            await RejectTooLargeAsync(context, limit);
            return;
        }

        // Our limit is the one that counts: keep the server's own body limit (30 MB in Kestrel) out of the way.
        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = null;
        }

        var reader = context.Request.BodyReader;
        ReadResult read;
        try
        {
            while (true)
            {
                read = await reader.ReadAsync(context.RequestAborted);
                if (read.Buffer.Length > limit)
                {
                    reader.AdvanceTo(read.Buffer.End);
                    await RejectTooLargeAsync(context, limit);
                    return;
                }

                if (read.IsCompleted || read.IsCanceled)
                {
                    break;
                }

                reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await RejectTooLargeAsync(context, limit);
            return;
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or BadHttpRequestException)
        {
            // The client gave up sending; its packets never arrived, which it will notice.
            return;
        }

        PacketOutcome outcome;
        try
        {
            outcome = await ProcessPayloadAsync(read.Buffer);
        }
        finally
        {
            reader.AdvanceTo(read.Buffer.End);
        }

        if (outcome == PacketOutcome.Invalid)
        {
            await _server.RejectAsync(context, EngineError.BadRequest);
            return;
        }

        context.Response.ContentType = "text/plain; charset=UTF-8";
        context.Response.ContentLength = 2;
        context.Response.BodyWriter.Write("ok"u8);
    }

    private async Task RejectTooLargeAsync(HttpContext context, int limit)
    {
        EngineIOLog.PayloadTooLarge(_server.Logger, Id, limit);
        Close(EngineCloseReasons.TransportError, CloseKind.Abrupt);
        await _server.RejectAsync(context, EngineError.BadRequest, status: StatusCodes.Status413PayloadTooLarge);
    }

    private async Task<PacketOutcome> ProcessPayloadAsync(ReadOnlySequence<byte> payload)
    {
        if (payload.IsEmpty)
        {
            CloseInvalid();
            return PacketOutcome.Invalid;
        }

        await _inbound.WaitAsync();
        try
        {
            var remaining = payload;
            var last = false;
            while (!last)
            {
                var packet = EngineProtocol.TakePacket(ref remaining, out last);
                if (!IsConnected)
                {
                    return PacketOutcome.Closed;
                }

                var outcome = await DispatchTextPacketAsync(packet);
                if (outcome != PacketOutcome.Continue)
                {
                    return outcome;
                }
            }

            return PacketOutcome.Continue;
        }
        finally
        {
            _inbound.Release();
        }
    }

    private void CloseInvalid()
    {
        EngineIOLog.InvalidPacket(_server.Logger, Id);
        Close(EngineCloseReasons.ParseError, CloseKind.Abrupt);
    }

    /// <summary>Handles one text-encoded packet (either transport). Caller holds <see cref="_inbound"/>.</summary>
    private async ValueTask<PacketOutcome> DispatchTextPacketAsync(ReadOnlySequence<byte> packet)
    {
        var reader = new SequenceReader<byte>(packet);
        if (!reader.TryRead(out var type))
        {
            CloseInvalid();
            return PacketOutcome.Invalid;
        }

        var data = packet.Slice(1);
        try
        {
            switch (type)
            {
                case PacketType.Message:
                    await Handler.OnTextAsync(this, data);
                    return PacketOutcome.Continue;
                case PacketType.Base64Binary:
                    if (!EngineProtocol.TryDecodeBase64(data, out var rented, out var length))
                    {
                        CloseInvalid();
                        return PacketOutcome.Invalid;
                    }

                    try
                    {
                        await Handler.OnBinaryAsync(this, new ReadOnlySequence<byte>(rented, 0, length));
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(rented);
                    }

                    return PacketOutcome.Continue;
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
                    CloseInvalid();
                    return PacketOutcome.Invalid;
            }
        }
        catch (Exception ex)
        {
            EngineIOLog.HandlerFailed(_server.Logger, Id, ex);
            Close(EngineCloseReasons.TransportError, CloseKind.Abrupt);
            return PacketOutcome.Closed;
        }
    }

    private async ValueTask<PacketOutcome> DispatchBinaryAsync(ReadOnlySequence<byte> data)
    {
        try
        {
            await Handler.OnBinaryAsync(this, data);
            return PacketOutcome.Continue;
        }
        catch (Exception ex)
        {
            EngineIOLog.HandlerFailed(_server.Logger, Id, ex);
            Close(EngineCloseReasons.TransportError, CloseKind.Abrupt);
            return PacketOutcome.Closed;
        }
    }

    // ---------------------------------------------------------------- websocket

    /// <summary>A session opened directly over WebSocket: open packet first, then the read/write loops.</summary>
    public async Task RunWebSocketHandshakeAsync(WebSocket socket, ReadOnlyMemory<byte> openPacket)
    {
        using var buffer = new MessageBuffer();
        try
        {
            await socket.SendAsync(openPacket, WebSocketMessageType.Text, true, _closedCts.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            Close(EngineCloseReasons.TransportClose, CloseKind.Abrupt);
            socket.Abort();
            return;
        }

        if (!await ConnectAsync())
        {
            await WebSocketIO.CloseQuietlyAsync(socket, WebSocketCloseStatus.InternalServerError);
            return;
        }

        await RunWebSocketLoopsAsync(socket, buffer);
    }

    /// <summary>
    /// A WebSocket that names an existing polling session: answer <c>2probe</c> with <c>3probe</c>, and switch on
    /// <c>5</c>. A session that is already upgrading or upgraded gets the socket accepted and closed at once.
    /// </summary>
    public async Task RunUpgradeAsync(WebSocket socket)
    {
        bool accepted;
        lock (_gate)
        {
            accepted = _phase == SessionPhase.Polling;
            if (accepted)
            {
                _phase = SessionPhase.Upgrading;
                _probeSocket = socket;
                _probed = false;
            }
        }

        if (!accepted)
        {
            // Accepted, then closed: refusing with an HTTP status would surface as an unhandled error in some clients.
            await WebSocketIO.CloseQuietlyAsync(socket, WebSocketCloseStatus.PolicyViolation);
            return;
        }

        EngineIOLog.UpgradeStarted(_server.Logger, Id);
        using var buffer = new MessageBuffer();
        string? failure = null;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(_closedCts.Token))
        {
            timeout.CancelAfter(_server.Options.UpgradeTimeout);
            try
            {
                while (failure is null)
                {
                    var message = await WebSocketIO.ReceiveAsync(socket, buffer, _server.Options.MaxHttpBufferSize, timeout.Token);
                    var bytes = buffer.Array.AsSpan(0, message.Length);
                    if (message.Kind == ReceivedKind.Text && bytes.SequenceEqual("2probe"u8))
                    {
                        await socket.SendAsync(ProbeReply, WebSocketMessageType.Text, true, timeout.Token);
                        lock (_gate)
                        {
                            if (_probeSocket == socket)
                            {
                                _probed = true;
                                // A GET held open now would delay the client's pause; release it with a noop.
                                SignalLocked(Wake.Noop);
                            }
                        }
                    }
                    else if (message.Kind == ReceivedKind.Text && bytes.SequenceEqual("5"u8))
                    {
                        lock (_gate)
                        {
                            if (_phase != SessionPhase.Upgrading || _probeSocket != socket)
                            {
                                failure = "session closed";
                                break;
                            }

                            _phase = SessionPhase.WebSocket;
                            _probeSocket = null;
                            _probed = false;
                            Volatile.Write(ref _transport, TransportNames.WebSocket);
                            SignalLocked(Wake.Noop);
                        }

                        break;
                    }
                    else
                    {
                        failure = "unexpected packet";
                    }
                }
            }
            catch (OperationCanceledException)
            {
                failure = IsConnected ? "timeout" : "session closed";
            }
            catch (Exception ex) when (ex is WebSocketException or IOException)
            {
                failure = "socket closed";
            }
        }

        if (failure is not null)
        {
            lock (_gate)
            {
                if (_phase == SessionPhase.Upgrading && _probeSocket == socket)
                {
                    _phase = SessionPhase.Polling;
                    _probeSocket = null;
                    _probed = false;
                }
            }

            EngineIOLog.UpgradeAbandoned(_server.Logger, Id, failure);
            await WebSocketIO.CloseQuietlyAsync(socket, WebSocketCloseStatus.NormalClosure);
            return;
        }

        EngineIOLog.UpgradeCompleted(_server.Logger, Id);
        await RunWebSocketLoopsAsync(socket, buffer);
    }

    /// <summary>Reads packets on this request's thread of control while one writer loop drains the queue.</summary>
    private async Task RunWebSocketLoopsAsync(WebSocket socket, MessageBuffer buffer)
    {
        var writer = WriteLoopAsync(socket);
        var limit = _server.Options.MaxHttpBufferSize;
        try
        {
            while (IsConnected)
            {
                var message = await WebSocketIO.ReceiveAsync(socket, buffer, limit, _receiveAbort.Token);
                if (message.Kind == ReceivedKind.Close)
                {
                    Close(EngineCloseReasons.TransportClose, CloseKind.Abrupt);
                    break;
                }

                if (message.Kind == ReceivedKind.TooBig)
                {
                    EngineIOLog.PayloadTooLarge(_server.Logger, Id, limit);
                    Close(EngineCloseReasons.TransportError, CloseKind.Abrupt, WebSocketCloseStatus.MessageTooBig);
                    break;
                }

                var data = new ReadOnlySequence<byte>(buffer.Array, 0, message.Length);
                PacketOutcome outcome;
                await _inbound.WaitAsync();
                try
                {
                    if (!IsConnected)
                    {
                        break;
                    }

                    outcome = message.Kind == ReceivedKind.Binary
                        ? await DispatchBinaryAsync(data)
                        : await DispatchTextPacketAsync(data);
                }
                finally
                {
                    _inbound.Release();
                }

                if (outcome != PacketOutcome.Continue)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            Close(EngineCloseReasons.TransportClose, CloseKind.Abrupt);
        }
        catch (Exception ex)
        {
            EngineIOLog.TransportFailed(_server.Logger, Id, ex);
            Close(EngineCloseReasons.TransportError, CloseKind.Abrupt);
        }

        await writer;
        if (socket.State == WebSocketState.CloseSent)
        {
            // Our close frame is out (server-side close); give the peer a moment to answer before the request ends.
            await WebSocketIO.CloseQuietlyAsync(socket, _closeStatus);
        }
    }

    /// <summary>The only code that sends on an established session socket; one frame per packet.</summary>
    private async Task WriteLoopAsync(WebSocket socket)
    {
        var frames = Array.Empty<OutFrame>();
        var count = 0;
        try
        {
            while (true)
            {
                TaskCompletionSource<Wake>? waiter = null;
                bool closed;
                lock (_gate)
                {
                    count = TakeAllLocked(out frames);
                    closed = _phase == SessionPhase.Closed;
                    if (count == 0 && !closed)
                    {
                        waiter = _consumer = new TaskCompletionSource<Wake>(TaskCreationOptions.RunContinuationsAsynchronously);
                    }
                }

                if (waiter is not null)
                {
                    await waiter.Task;
                    continue;
                }

                for (var i = 0; i < count; i++)
                {
                    var frame = frames[i];
                    var (bytes, type) = frame.Message switch
                    {
                        null => (ControlFrames[frame.Control - '0'], WebSocketMessageType.Text),
                        { IsBinary: true } message => (message.Data, WebSocketMessageType.Binary),
                        var message => (message.GetPrefixedText(), WebSocketMessageType.Text),
                    };
                    await socket.SendAsync(bytes, type, true, _receiveAbort.Token);
                }

                ReturnFrames(frames, count);
                frames = [];
                count = 0;

                if (closed)
                {
                    CloseKind kind;
                    WebSocketCloseStatus status;
                    lock (_gate)
                    {
                        kind = _closeKind;
                        status = _closeStatus;
                    }

                    if (kind == CloseKind.Graceful)
                    {
                        await socket.SendAsync(ControlFrames[PacketType.Close - '0'], WebSocketMessageType.Text, true, _receiveAbort.Token);
                    }

                    if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                    {
                        await socket.CloseOutputAsync(status, null, _receiveAbort.Token);
                    }

                    return;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            Close(EngineCloseReasons.TransportError, CloseKind.Abrupt);
            socket.Abort();
        }
        catch (Exception ex)
        {
            EngineIOLog.TransportFailed(_server.Logger, Id, ex);
            Close(EngineCloseReasons.TransportError, CloseKind.Abrupt);
            socket.Abort();
        }
        finally
        {
            ReturnFrames(frames, count);
        }
    }

    private static long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    private static byte[][] CreateControlFrames()
    {
        var frames = new byte[7][];
        for (var i = 0; i < frames.Length; i++)
        {
            frames[i] = [(byte)('0' + i)];
        }

        return frames;
    }
}
