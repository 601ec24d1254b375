using Microsoft.AspNetCore.Http;

namespace Raven.EngineIO;

/// <summary>Settings of one Engine.IO endpoint. Defaults match the Node.js engine.io server.</summary>
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

    /// <summary>Cross-origin settings for browser clients; off unless origins are allowed.</summary>
    public EngineCorsOptions Cors { get; } = new();

    /// <summary>
    /// Runs on every handshake request (polling or WebSocket, before a session exists), typically for authentication.
    /// A rejection is answered with HTTP 403 and <c>{"code":4,"message":…}</c>.
    /// </summary>
    public Func<HttpContext, ValueTask<EngineRequestVerdict>>? AllowRequest { get; set; }

    internal void Validate()
    {
        if (PingInterval <= TimeSpan.Zero || PingTimeout <= TimeSpan.Zero || UpgradeTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("PingInterval, PingTimeout and UpgradeTimeout must be positive.");
        }

        if (MaxHttpBufferSize <= 0 || MaxQueuedMessages <= 0)
        {
            throw new ArgumentException("MaxHttpBufferSize and MaxQueuedMessages must be positive.");
        }

        if (Transports == EngineTransports.None)
        {
            throw new ArgumentException("At least one transport must be enabled.");
        }
    }
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

/// <summary>Cross-origin (CORS) settings of an Engine.IO endpoint.</summary>
public sealed class EngineCorsOptions
{
    /// <summary>Origins allowed to call the endpoint, compared exactly (e.g. <c>https://app.example.com</c>).</summary>
    public IList<string> AllowedOrigins { get; } = new List<string>();

    /// <summary>Allow every origin.</summary>
    public bool AllowAnyOrigin { get; set; }

    /// <summary>Send <c>Access-Control-Allow-Credentials: true</c> (the request's origin is then echoed instead of <c>*</c>).</summary>
    public bool AllowCredentials { get; set; }

    internal bool Enabled => AllowAnyOrigin || AllowedOrigins.Count > 0;
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
