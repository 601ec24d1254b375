using Microsoft.AspNetCore.Http;

namespace Raven.EngineIO;

/// <summary>Settings of an Engine.IO endpoint. Defaults match the Node.js engine.io server.</summary>
/// <remarks>
/// Cross-origin requests are the app's business: add ASP.NET Core CORS and call <c>RequireCors(...)</c> on the
/// endpoint that <c>MapEngineIO</c> (or <c>MapSocketIO</c>) returns.
/// </remarks>
public sealed class EngineIOOptions
{
    /// <summary>How often the server pings (sent to clients as <c>pingInterval</c>). Default 25 s.</summary>
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromMilliseconds(25000);

    /// <summary>How long a ping may stay unanswered before the session closes with "ping timeout". Default 20 s.</summary>
    public TimeSpan PingTimeout { get; set; } = TimeSpan.FromMilliseconds(20000);

    /// <summary>How long a polling-to-WebSocket upgrade may take before it is abandoned. Default 10 s.</summary>
    public TimeSpan UpgradeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The largest polling POST body or WebSocket message accepted, in bytes (sent to clients as <c>maxPayload</c>).
    /// A bigger one closes its session (a POST gets HTTP 413). Default 1,000,000.
    /// </summary>
    public int MaxHttpBufferSize { get; set; } = 1_000_000;

    /// <summary>The transports clients may use. Default both.</summary>
    public EngineTransports Transports { get; set; } = EngineTransports.Polling | EngineTransports.WebSocket;

    /// <summary>Whether polling sessions may upgrade to WebSocket. Default true.</summary>
    public bool AllowUpgrades { get; set; } = true;

    /// <summary>
    /// The most messages a session's send queue holds before the slow-consumer policy applies
    /// (see <see cref="IEngineConnection.TrySend"/>). Default 4096.
    /// </summary>
    public int MaxQueuedMessages { get; set; } = 4096;

    /// <summary>
    /// Runs on every handshake request (polling or WebSocket, before a session exists), typically for authentication.
    /// A rejection is answered with HTTP 403 and <c>{"code":4,"message":…}</c>.
    /// </summary>
    public Func<HttpContext, ValueTask<EngineRequestVerdict>>? AllowRequest { get; set; }

    /// <summary>Admission limits: how many sessions may exist, per client address and in total.</summary>
    public EngineSessionLimits Limits { get; } = new();

    /// <summary>
    /// The request headers a session keeps from its handshake (compared case-insensitively). Default <c>"*"</c>:
    /// every header except the transport's own plumbing (<see cref="DroppedHandshakeHeaders"/>). An app that
    /// knows what it reads can list just those (clear the set, add e.g. <c>cookie</c>, <c>authorization</c>,
    /// <c>origin</c>), so an idle session holds nothing else of its opening request.
    /// </summary>
    public ISet<string> HandshakeHeaders { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "*" };

    /// <summary>
    /// Headers never kept, even with <c>"*"</c>: they describe the HTTP exchange or the WebSocket upgrade, not the
    /// client. Default: connection, upgrade, the sec-websocket-* and sec-fetch-* headers, accept, accept-encoding,
    /// cache-control, pragma, content-length, content-type, priority.
    /// </summary>
    public ISet<string> DroppedHandshakeHeaders { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "connection", "upgrade", "sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions",
        "sec-websocket-protocol", "sec-fetch-dest", "sec-fetch-mode", "sec-fetch-site", "accept", "accept-encoding",
        "cache-control", "pragma", "content-length", "content-type", "priority",
    };
}

/// <summary>
/// Bounds on the number of Engine.IO sessions, so that no client can make the server hold unbounded memory.
/// A refused handshake is answered with HTTP 503 (capacity) or 429 (rate) and Node's error shape.
/// </summary>
/// <remarks>
/// A session is <em>pending</em> until it is established: by default when the handler receives its first message
/// (for Socket.IO, the CONNECT packet), or, with <see cref="EstablishOnFirstMessage"/> off, when the handler calls
/// <see cref="IEngineConnection.MarkEstablished"/>. Pending sessions serve nobody yet, so they get a short lifetime
/// and a cap of their own. Per-address limits skip loopback clients unless <see cref="ApplyToLoopback"/> is set,
/// so a load test from one machine is not refused.
/// </remarks>
public sealed class EngineSessionLimits
{
    /// <summary>Most live sessions on the endpoint (0 = no cap). Default 100,000.</summary>
    public int MaxSessions { get; set; } = 100_000;

    /// <summary>Most pending (not yet established) sessions on the endpoint (0 = no cap). Default 10,000.</summary>
    public int MaxPendingSessions { get; set; } = 10_000;

    /// <summary>
    /// How long a session may stay pending before it is closed. Default 20 s: legitimate clients send CONNECT
    /// within milliseconds, but on a saturated node the open packet itself can take seconds to arrive.
    /// </summary>
    public TimeSpan PendingTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Whether the first message packet establishes a session. Default true.</summary>
    public bool EstablishOnFirstMessage { get; set; } = true;

    /// <summary>Most live sessions per client address (0 = no cap). Default 1,000.</summary>
    public int MaxSessionsPerAddress { get; set; } = 1_000;

    /// <summary>Handshakes per second a client address may open, sustained (0 = no limit). Default 20.</summary>
    public int HandshakesPerSecondPerAddress { get; set; } = 20;

    /// <summary>Handshakes a client address may open in a burst above the sustained rate. Default 200.</summary>
    public int HandshakeBurstPerAddress { get; set; } = 200;

    /// <summary>Apply the per-address limits to loopback clients too. Default false.</summary>
    public bool ApplyToLoopback { get; set; }
}

/// <summary>The Engine.IO transports.</summary>
[Flags]
public enum EngineTransports
{
    None = 0,
    /// <summary>HTTP long-polling (<c>transport=polling</c>).</summary>
    Polling = 1,
    /// <summary>WebSocket (<c>transport=websocket</c>).</summary>
    WebSocket = 2,
}

/// <summary>The outcome of <see cref="EngineIOOptions.AllowRequest"/>.</summary>
public readonly record struct EngineRequestVerdict
{
    private EngineRequestVerdict(bool allowed, string? message)
    {
        IsAllowed = allowed;
        Message = message;
    }

    /// <summary>Whether the handshake may proceed.</summary>
    public bool IsAllowed { get; }

    /// <summary>The message sent with a rejection.</summary>
    public string? Message { get; }

    /// <summary>Let the handshake proceed.</summary>
    public static EngineRequestVerdict Allow { get; } = new(true, null);

    /// <summary>Refuse the handshake with HTTP 403 and <c>{"code":4,"message":<paramref name="message"/>}</c>.</summary>
    public static EngineRequestVerdict Reject(string message = "Forbidden") => new(false, message);

    public static implicit operator EngineRequestVerdict(bool allowed) => allowed ? Allow : Reject();
}
