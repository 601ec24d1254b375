using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace Raven.EngineIO.Internal;

internal static class TransportNames
{
    public const string Polling = "polling";
    public const string WebSocket = "websocket";
}

/// <summary>
/// One mapped Engine.IO endpoint: request routing and validation, the session table, admission, handshakes and
/// the heartbeat wheel shared by its sessions. Transports live in <c>Transports/</c>.
/// </summary>
internal sealed class EngineServer : IDisposable
{
    private readonly ConcurrentDictionary<string, EngineSession> _sessions = new(StringComparer.Ordinal);
    private readonly Lazy<IEngineIOHandler> _handler;
    private readonly SessionAdmission _admission;
    private readonly bool _keepAllHeaders;
    private volatile bool _stopping;

    public EngineServer(EngineIOOptions options, Func<IEngineIOHandler> handler, ILogger logger, EngineIOMetrics metrics)
    {
        Options = options;
        Logger = logger;
        Metrics = metrics;
        _handler = new Lazy<IEngineIOHandler>(handler, LazyThreadSafetyMode.ExecutionAndPublication);
        _admission = new SessionAdmission(options.Limits);
        _keepAllHeaders = options.HandshakeHeaders.Contains("*");
        PingIntervalTicks = ToTicks(options.PingInterval);
        PingTimeoutTicks = ToTicks(options.PingTimeout);
        PendingTimeoutTicks = ToTicks(options.Limits.PendingTimeout);
        ExpiryTolerance = Math.Min(PingTimeoutTicks / 50, ToTicks(TimeSpan.FromMilliseconds(5)));
        Heartbeats = new HeartbeatScheduler(HeartbeatScheduler.ResolutionFor(options.PingInterval, options.PingTimeout, options.Limits.PendingTimeout));
    }

    public EngineIOOptions Options { get; }

    public ILogger Logger { get; }

    public EngineIOMetrics Metrics { get; }

    public HeartbeatScheduler Heartbeats { get; }

    public long PingIntervalTicks { get; }

    public long PingTimeoutTicks { get; }

    public long PendingTimeoutTicks { get; }

    public long ExpiryTolerance { get; }

    public IEngineIOHandler Handler => _handler.Value;

    internal int SessionCount => _sessions.Count;

    internal int PendingCount => _admission.PendingCount;

    internal bool TryGetSession(string sid, out EngineSession session) => _sessions.TryGetValue(sid, out session!);

    public void Remove(EngineSession session)
    {
        if (_sessions.TryRemove(new KeyValuePair<string, EngineSession>(session.Id, session)))
        {
            _admission.Release(session.AddressKey);
            Metrics.SessionClosed(session.Transport == TransportNames.WebSocket);
        }
    }

    public void PendingEnded() => _admission.PendingEnded();

    /// <summary>Closes every session; used when the host stops.</summary>
    public void Shutdown()
    {
        _stopping = true;
        EngineIOLog.ShuttingDown(Logger, _sessions.Count);
        foreach (var session in _sessions.Values)
        {
            session.Close(EngineCloseReasons.ServerShuttingDown, CloseKind.Graceful);
        }
    }

    public void Dispose()
    {
        Heartbeats.Dispose();
        _admission.Dispose();
    }

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        if (HttpMethods.IsOptions(request.Method))
        {
            // Preflights are answered by ASP.NET Core CORS when the endpoint has a policy (RequireCors).
            await RejectAsync(context, EngineError.BadRequest);
            return;
        }

        var query = request.QueryString.Value;
        var transport = ParseTransport(EngineQuery.Find(query, "transport"));
        if (transport == EngineTransports.None || (Options.Transports & transport) == 0)
        {
            await RejectAsync(context, EngineError.TransportUnknown);
            return;
        }

        if (EngineQuery.Find(query, "EIO") != "4")
        {
            await RejectAsync(context, EngineError.UnsupportedProtocolVersion);
            return;
        }

        var isUpgrade = context.WebSockets.IsWebSocketRequest;
        if (isUpgrade != (transport == EngineTransports.WebSocket))
        {
            await RejectAsync(context, EngineError.BadRequest);
            return;
        }

        var sid = EngineQuery.Find(query, "sid");
        if (string.IsNullOrEmpty(sid))
        {
            if (await HandshakeAsync(context, transport) is ({ } opened, { } socket))
            {
                await WebSocketTransport.RunAsync(opened, socket);
            }

            return;
        }

        if (!_sessions.TryGetValue(sid, out var session))
        {
            await RejectAsync(context, EngineError.UnknownSid);
            return;
        }

        if (session.IsConnected && session.IsExpired(Stopwatch.GetTimestamp()))
        {
            // The pong deadline passed even if the heartbeat wheel has not got there yet: the session is already gone.
            session.Close(EngineCloseReasons.PingTimeout, CloseKind.Abrupt);
            await RejectAsync(context, EngineError.UnknownSid);
            return;
        }

        if (transport == EngineTransports.WebSocket)
        {
            if (!Options.AllowUpgrades)
            {
                await RejectAsync(context, EngineError.BadRequest);
                return;
            }

            var socket = await WebSocketTransport.AcceptAsync(context);
            if (await WebSocketUpgrade.RunAsync(session, socket))
            {
                await WebSocketTransport.RunAsync(session, socket);
            }

            return;
        }

        if (session.Phase is SessionPhase.WebSocket)
        {
            await RejectAsync(context, EngineError.BadRequest);
            return;
        }

        if (HttpMethods.IsGet(request.Method))
        {
            await PollingTransport.PollAsync(session, context);
        }
        else if (HttpMethods.IsPost(request.Method))
        {
            await PollingTransport.PostAsync(session, context);
        }
        else
        {
            await RejectAsync(context, EngineError.BadRequest);
        }
    }

    /// <summary>
    /// Opens a session. A polling handshake is answered here. A WebSocket one is accepted, sent its open packet and
    /// connected, then returned: the caller runs the transport, so neither this frame nor the open packet's buffer is
    /// kept for the connection's lifetime.
    /// </summary>
    private async Task<(EngineSession Session, System.Net.WebSockets.WebSocket Socket)?> HandshakeAsync(HttpContext context, EngineTransports transport)
    {
        if (!HttpMethods.IsGet(context.Request.Method))
        {
            await RejectAsync(context, EngineError.BadHandshakeMethod);
            return null;
        }

        if (_stopping)
        {
            await RejectAsync(context, EngineError.BadRequest, "Server shutting down", StatusCodes.Status503ServiceUnavailable);
            return null;
        }

        if (Options.AllowRequest is { } allowRequest)
        {
            var verdict = await allowRequest(context);
            if (!verdict.IsAllowed)
            {
                await RejectAsync(context, EngineError.Forbidden, verdict.Message ?? "Forbidden", StatusCodes.Status403Forbidden);
                return null;
            }
        }

        var refusal = _admission.TryAdmit(context.Connection.RemoteIpAddress, _sessions.Count, out var addressKey);
        if (refusal != Refusal.None)
        {
            await RefuseAsync(context, refusal);
            return null;
        }

        var isWebSocket = transport == EngineTransports.WebSocket;
        var session = new EngineSession(this, CreateSid(), CaptureHandshake(context), isWebSocket ? TransportNames.WebSocket : TransportNames.Polling, addressKey);
        var open = new ArrayBufferWriter<byte>(160);
        EngineProtocol.WriteOpen(open, session.Id, !isWebSocket && Options.AllowUpgrades && (Options.Transports & EngineTransports.WebSocket) != 0, Options);

        // The heartbeat clock starts before the open packet goes out: the client times its pings from receipt.
        _sessions[session.Id] = session;
        Metrics.SessionOpened(isWebSocket);
        session.StartHeartbeat();
        EngineIOLog.SessionOpened(Logger, session.Id, session.Transport);
        if (_stopping)
        {
            session.Close(EngineCloseReasons.ServerShuttingDown, CloseKind.Graceful);
        }

        if (isWebSocket)
        {
            System.Net.WebSockets.WebSocket socket;
            try
            {
                socket = await WebSocketTransport.AcceptAsync(context);
            }
            catch
            {
                session.Close(EngineCloseReasons.TransportError, CloseKind.Abrupt);
                throw;
            }

            return await WebSocketTransport.OpenAsync(session, socket, open.WrittenMemory) ? (session, socket) : null;
        }

        if (!await session.ConnectAsync())
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return null;
        }

        var response = context.Response;
        response.ContentType = "text/plain; charset=UTF-8";
        response.ContentLength = open.WrittenCount;
        await response.BodyWriter.WriteAsync(open.WrittenMemory, context.RequestAborted);
        return null;
    }

    private Task RefuseAsync(HttpContext context, Refusal refusal)
    {
        var (message, status, tag) = refusal switch
        {
            Refusal.HandshakeRate => ("Too many handshakes", StatusCodes.Status429TooManyRequests, "handshake_rate"),
            Refusal.TooManyForAddress => ("Too many sessions for this address", StatusCodes.Status429TooManyRequests, "address_sessions"),
            Refusal.TooManyPending => ("Too many pending sessions", StatusCodes.Status503ServiceUnavailable, "pending_sessions"),
            _ => ("Too many sessions", StatusCodes.Status503ServiceUnavailable, "sessions"),
        };
        Metrics.HandshakeRefused(tag);
        EngineIOLog.HandshakeRefused(Logger, tag);
        return RejectAsync(context, EngineError.BadRequest, message, status);
    }

    private static EngineTransports ParseTransport(string? value) => value switch
    {
        TransportNames.Polling => EngineTransports.Polling,
        TransportNames.WebSocket => EngineTransports.WebSocket,
        _ => EngineTransports.None,
    };

    private static string CreateSid()
    {
        Span<byte> bytes = stackalloc byte[15];
        RandomNumberGenerator.Fill(bytes);
        return System.Buffers.Text.Base64Url.EncodeToString(bytes);
    }

    /// <summary>Copies what a session keeps of its opening request, once: the listed headers and the query.</summary>
    private EngineHandshake CaptureHandshake(HttpContext context)
    {
        var request = context.Request;
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var keep = Options.HandshakeHeaders;
        var dropped = Options.DroppedHandshakeHeaders;
        foreach (var header in request.Headers)
        {
            if ((_keepAllHeaders || keep.Contains(header.Key)) && !dropped.Contains(header.Key))
            {
                headers[header.Key] = header.Value.ToString();
            }
        }

        return new EngineHandshake
        {
            Headers = headers,
            RemoteAddress = context.Connection.RemoteIpAddress?.ToString(),
            Url = string.Concat(request.PathBase.ToUriComponent(), request.Path.ToUriComponent(), request.QueryString.ToUriComponent()),
            Secure = request.IsHttps,
            Issued = DateTimeOffset.UtcNow,
            // Only what authentication produced: HttpContext.User would create an empty principal per session, kept
            // for the session's lifetime, when no authentication ran for this request.
            User = context.Features.Get<Microsoft.AspNetCore.Http.Features.Authentication.IHttpAuthenticationFeature>()?.User,
        };
    }

    /// <summary>Answers with Node's error shape: <c>{"code":N,"message":"…"}</c>.</summary>
    public async Task RejectAsync(HttpContext context, int code, string? message = null, int status = StatusCodes.Status400BadRequest)
    {
        message ??= EngineError.MessageOf(code);
        EngineIOLog.RequestRejected(Logger, code, message);
        var response = context.Response;
        if (response.HasStarted)
        {
            return;
        }

        var body = new ArrayBufferWriter<byte>(64);
        EngineError.Write(body, code, message);
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength = body.WrittenCount;
        try
        {
            await response.BodyWriter.WriteAsync(body.WrittenMemory, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            // The client left; it did not want the error anyway.
        }
    }

    private static long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);
}
