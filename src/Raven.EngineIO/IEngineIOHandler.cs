using System.Buffers;

namespace Raven.EngineIO;

/// <summary>
/// The application on top of an Engine.IO endpoint (Socket.IO, or a bare echo app).
/// Engine.IO calls it for one connection at a time, in order: <see cref="OnConnectedAsync"/> once,
/// then <see cref="OnTextAsync"/> / <see cref="OnBinaryAsync"/> for every message packet in arrival order
/// (the next call waits for the previous task), then <see cref="OnClosedAsync"/> once.
/// </summary>
/// <remarks>
/// Payload buffers are borrowed from a pool and are only valid until the returned task completes;
/// copy what must outlive the call. Messages the handler sends while handling a polling POST are
/// queued before the POST is answered, so a client that polls after its POST sees them.
/// </remarks>
public interface IEngineIOHandler
{
    /// <summary>A session was opened (the open packet is already queued).</summary>
    ValueTask OnConnectedAsync(IEngineConnection connection);

    /// <summary>A text message packet (type 4), without its type byte, as UTF-8.</summary>
    ValueTask OnTextAsync(IEngineConnection connection, ReadOnlySequence<byte> utf8);

    /// <summary>A binary message (a raw WebSocket binary frame, or a polling <c>b</c>+base64 packet, decoded).</summary>
    ValueTask OnBinaryAsync(IEngineConnection connection, ReadOnlySequence<byte> data);

    /// <summary>The session ended. <paramref name="reason"/> is one of <see cref="EngineCloseReasons"/>.</summary>
    ValueTask OnClosedAsync(IEngineConnection connection, string reason);
}

/// <summary>Close reasons, spelled as the Node.js engine.io server spells them.</summary>
public static class EngineCloseReasons
{
    public const string TransportClose = "transport close";
    public const string TransportError = "transport error";
    public const string PingTimeout = "ping timeout";
    public const string ForcedClose = "forced close";
    public const string ServerShuttingDown = "server shutting down";
    /// <summary>The session's send queue was full with a non-volatile message (see the slow-consumer policy).</summary>
    public const string SlowConsumer = "transport error";
    public const string ParseError = "parse error";
}

/// <summary>One Engine.IO session as the application sees it, whatever its current transport.</summary>
public interface IEngineConnection
{
    /// <summary>The session id (<c>sid</c>).</summary>
    string Id { get; }

    /// <summary>What the opening HTTP request carried, captured once so it is safe to read at any time.</summary>
    EngineHandshake Handshake { get; }

    /// <summary><c>"polling"</c> or <c>"websocket"</c>; changes once after an upgrade.</summary>
    string Transport { get; }

    /// <summary>False once the session is closing or closed.</summary>
    bool IsConnected { get; }

    /// <summary>Signalled when the session closes.</summary>
    CancellationToken Closed { get; }

    /// <summary>Per-session state for the application layer, created on first use.</summary>
    IDictionary<object, object?> Items { get; }

    /// <summary>
    /// One slot for the <see cref="IEngineIOHandler"/> that owns the session (Socket.IO keeps its client here): read on
    /// every packet, so a field rather than an <see cref="Items"/> lookup, and no dictionary per session.
    /// </summary>
    object? HandlerState { get; set; }

    /// <summary>
    /// Marks the session established: it stops counting against the pending-session cap and its short pending
    /// lifetime (see <see cref="EngineSessionLimits"/>). Socket.IO calls this when a namespace CONNECT succeeds.
    /// Calling it again does nothing. (Implemented as a no-op by default for connections outside Engine.IO.)
    /// </summary>
    void MarkEstablished()
    {
    }

    /// <summary>
    /// Queues messages as one unit: they are written adjacently and in order (a Socket.IO packet and its
    /// binary attachments). Returns false if nothing was queued: the session is closed, or its bounded queue
    /// is full. When full, a volatile unit is dropped (the session lives on); a non-volatile unit closes the
    /// session with <see cref="EngineCloseReasons.SlowConsumer"/>.
    /// The same <see cref="EngineMessage"/> instances may be queued on many sessions (broadcast encodes once).
    /// </summary>
    bool TrySend(ReadOnlySpan<EngineMessage> messages, bool isVolatile = false);

    /// <summary>Closes the session from the server side (reason "forced close" to the handler).</summary>
    void Close();

    /// <summary>
    /// Closes the session because the application could not parse what the client sent, exactly as an invalid
    /// Engine.IO packet closes it: reason "parse error", nothing still queued is delivered, and a polling POST that
    /// carried the message is answered 400. (Implemented as <see cref="Close()"/> for connections outside Engine.IO.)
    /// </summary>
    void CloseForInvalidInput() => Close();
}

/// <summary>A snapshot of the request that opened a session.</summary>
public sealed class EngineHandshake
{
    /// <summary>
    /// The headers kept from the opening request (see <see cref="EngineIOOptions.HandshakeHeaders"/>), looked up
    /// case-insensitively.
    /// </summary>
    public required IReadOnlyDictionary<string, string> Headers { get; init; }

    /// <summary>
    /// The query parameters of the opening request, parsed from <see cref="Url"/> on first use (a connection whose
    /// application never asks keeps no dictionary), unless given.
    /// </summary>
    public IReadOnlyDictionary<string, string> Query
    {
        get
        {
            if (_query is null)
            {
                var mark = Url.IndexOf('?');
                Interlocked.CompareExchange(ref _query, Internal.EngineQuery.Parse(mark < 0 ? null : Url[mark..]), null);
            }

            return _query;
        }

        init => _query = value;
    }

    private IReadOnlyDictionary<string, string>? _query;

    public required string? RemoteAddress { get; init; }
    public required string Url { get; init; }
    public required bool Secure { get; init; }
    public required DateTimeOffset Issued { get; init; }
    /// <summary>The authenticated principal from ASP.NET Core's pipeline when the handshake request ran, if any.</summary>
    public System.Security.Claims.ClaimsPrincipal? User { get; init; }
}
