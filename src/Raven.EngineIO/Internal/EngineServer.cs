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

/// <summary>One mapped Engine.IO endpoint: request validation, the session table, and handshakes.</summary>
internal sealed class EngineServer
{
    private readonly ConcurrentDictionary<string, EngineSession> _sessions = new(StringComparer.Ordinal);
    private readonly Lazy<IEngineIOHandler> _handler;
    private volatile bool _stopping;

    public EngineServer(EngineIOOptions options, Func<IEngineIOHandler> handler, ILogger logger)
    {
        Options = options;
        Logger = logger;
        _handler = new Lazy<IEngineIOHandler>(handler, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public EngineIOOptions Options { get; }

    public ILogger Logger { get; }

    public IEngineIOHandler Handler => _handler.Value;

    internal int SessionCount => _sessions.Count;

    internal bool TryGetSession(string sid, out EngineSession session) => _sessions.TryGetValue(sid, out session!);

    public void Remove(EngineSession session) => _sessions.TryRemove(new KeyValuePair<string, EngineSession>(session.Id, session));

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

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var corsAllowed = ApplyCors(context);
        if (HttpMethods.IsOptions(request.Method))
        {
            await PreflightAsync(context, corsAllowed);
            return;
        }

        var query = request.Query;
        var transport = ParseTransport(query["transport"]);
        if (transport == EngineTransports.None || (Options.Transports & transport) == 0)
        {
            await RejectAsync(context, EngineError.TransportUnknown);
            return;
        }

        if (query["EIO"] != "4")
        {
            await RejectAsync(context, EngineError.UnsupportedProtocolVersion);
            return;
        }

        var isUpgrade = WebSocketIO.IsUpgradeRequest(context);
        if (isUpgrade != (transport == EngineTransports.WebSocket))
        {
            await RejectAsync(context, EngineError.BadRequest);
            return;
        }

        var sid = query["sid"];
        if (StringValues.IsNullOrEmpty(sid))
        {
            await HandshakeAsync(context, transport);
            return;
        }

        if (!_sessions.TryGetValue(sid.ToString(), out var session))
        {
            await RejectAsync(context, EngineError.UnknownSid);
            return;
        }

        if (session.IsConnected && session.IsExpired(Stopwatch.GetTimestamp()))
        {
            // The pong deadline passed even if the heartbeat timer has not run yet: the session is already gone.
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

            var socket = await WebSocketIO.AcceptAsync(context);
            await session.RunUpgradeAsync(socket);
            return;
        }

        if (session.Phase is SessionPhase.WebSocket)
        {
            await RejectAsync(context, EngineError.BadRequest);
            return;
        }

        if (HttpMethods.IsGet(request.Method))
        {
            await session.PollAsync(context);
        }
        else if (HttpMethods.IsPost(request.Method))
        {
            await session.PostAsync(context);
        }
        else
        {
            await RejectAsync(context, EngineError.BadRequest);
        }
    }

    private async Task HandshakeAsync(HttpContext context, EngineTransports transport)
    {
        if (!HttpMethods.IsGet(context.Request.Method))
        {
            await RejectAsync(context, EngineError.BadHandshakeMethod);
            return;
        }

        if (_stopping)
        {
            await RejectAsync(context, EngineError.BadRequest, "Server shutting down", StatusCodes.Status503ServiceUnavailable);
            return;
        }

        if (Options.AllowRequest is { } allowRequest)
        {
            var verdict = await allowRequest(context);
            if (!verdict.IsAllowed)
            {
                await RejectAsync(context, EngineError.Forbidden, verdict.Message ?? "Forbidden", StatusCodes.Status403Forbidden);
                return;
            }
        }

        var isWebSocket = transport == EngineTransports.WebSocket;
        var session = new EngineSession(this, CreateSid(), CaptureHandshake(context), isWebSocket ? TransportNames.WebSocket : TransportNames.Polling);
        var open = new ArrayBufferWriter<byte>(160);
        EngineProtocol.WriteOpen(open, session.Id, !isWebSocket && Options.AllowUpgrades && (Options.Transports & EngineTransports.WebSocket) != 0, Options);

        // The heartbeat clock starts before the open packet goes out: the client times its pings from receipt.
        _sessions[session.Id] = session;
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
                socket = await WebSocketIO.AcceptAsync(context);
            }
            catch
            {
                session.Close(EngineCloseReasons.TransportError, CloseKind.Abrupt);
                throw;
            }

            await session.RunWebSocketHandshakeAsync(socket, open.WrittenMemory);
            return;
        }

        if (!await session.ConnectAsync())
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return;
        }

        var response = context.Response;
        response.ContentType = "text/plain; charset=UTF-8";
        response.ContentLength = open.WrittenCount;
        await response.BodyWriter.WriteAsync(open.WrittenMemory, context.RequestAborted);
    }

    private static EngineTransports ParseTransport(StringValues value) => value.ToString() switch
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

    private static EngineHandshake CaptureHandshake(HttpContext context)
    {
        var request = context.Request;
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in request.Headers)
        {
            headers[header.Key] = header.Value.ToString();
        }

        var query = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in request.Query)
        {
            query[item.Key] = item.Value.ToString();
        }

        return new EngineHandshake
        {
            Headers = headers,
            Query = query,
            RemoteAddress = context.Connection.RemoteIpAddress?.ToString(),
            Url = string.Concat(request.PathBase.ToUriComponent(), request.Path.ToUriComponent(), request.QueryString.ToUriComponent()),
            Secure = request.IsHttps,
            Issued = DateTimeOffset.UtcNow,
            User = context.User,
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

    /// <summary>Adds CORS response headers when the request's origin is allowed; returns whether it is.</summary>
    private bool ApplyCors(HttpContext context)
    {
        var cors = Options.Cors;
        if (!cors.Enabled)
        {
            return false;
        }

        var origin = context.Request.Headers.Origin.ToString();
        var headers = context.Response.Headers;
        if (cors.AllowAnyOrigin && !cors.AllowCredentials)
        {
            headers.AccessControlAllowOrigin = "*";
            return true;
        }

        if (origin.Length == 0 || !(cors.AllowAnyOrigin || cors.AllowedOrigins.Contains(origin, StringComparer.OrdinalIgnoreCase)))
        {
            return false;
        }

        headers.AccessControlAllowOrigin = origin;
        headers.Vary = "Origin";
        if (cors.AllowCredentials)
        {
            headers.AccessControlAllowCredentials = "true";
        }

        return true;
    }

    private Task PreflightAsync(HttpContext context, bool corsAllowed)
    {
        if (!corsAllowed)
        {
            return RejectAsync(context, EngineError.BadRequest);
        }

        var headers = context.Response.Headers;
        headers.AccessControlAllowMethods = "GET, POST";
        var requested = context.Request.Headers.AccessControlRequestHeaders;
        if (!StringValues.IsNullOrEmpty(requested))
        {
            headers.AccessControlAllowHeaders = requested;
        }

        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    }
}
