using System.Text.Encodings.Web;
using System.Text.Json;
using Raven.EngineIO;
using Raven.SocketIO.Adapter;

namespace Raven.SocketIO;

/// <summary>Settings of the Socket.IO server and of the Engine.IO endpoint under it. Defaults match Node.js.</summary>
public sealed class SocketIOOptions
{
    /// <summary>How long an Engine.IO session may stay without joining any namespace before it is closed. Default 45 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromMilliseconds(45000);

    /// <summary>
    /// The Engine.IO endpoint under Socket.IO: heartbeat, payload and queue limits, transports, <c>AllowRequest</c>,
    /// session limits. One object, used as is by <c>MapSocketIO</c>. Cross-origin access: chain
    /// <c>.RequireCors(...)</c> on the endpoint <c>MapSocketIO</c> returns.
    /// </summary>
    /// <remarks>
    /// Socket.IO marks a session established only when a namespace CONNECT passes its middleware (authentication),
    /// so a client that keeps failing authentication stays under the pending-session cap and lifetime.
    /// </remarks>
    public EngineIOOptions EngineIO { get; } = new() { Limits = { EstablishOnFirstMessage = false } };

    /// <summary>
    /// Serializer settings for emitted arguments and typed binding. Default: web defaults (camelCase,
    /// case-insensitive binding) and no escaping of non-ASCII text, like <c>JSON.stringify</c>.
    /// </summary>
    public JsonSerializerOptions JsonSerializerOptions { get; set; } = new(JsonSerializerDefaults.Web)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Creates the adapter of each namespace. Default: an in-process <see cref="LocalAdapter"/>.</summary>
    public Func<SocketNamespace, SocketIOAdapter> AdapterFactory { get; set; } = static nsp => new LocalAdapter(nsp);

    /// <summary>
    /// Most binary attachments one client packet may announce (<c>BINARY_EVENT</c> / <c>BINARY_ACK</c>); more closes
    /// the session as a parse error. Default 10. A packet together with its attachments must also fit in
    /// <c>MaxHttpBufferSize</c>, and no binary packet is accepted before the session connected to a namespace.
    /// </summary>
    public int MaxAttachments { get; set; } = 10;

    /// <summary>
    /// Per-connection bound on client packets (CONNECT, EVENT, DISCONNECT) waiting while a handler of that connection
    /// still runs. When it is full the server stops reading from the connection until a handler finishes (TCP
    /// backpressure to the client; pings wait too, so a client whose handlers never finish is dropped at the ping
    /// timeout). Worst case held per connection: this many packets of up to <c>MaxHttpBufferSize</c>. Default 32.
    /// </summary>
    public int MaxQueuedInboundPackets { get; set; } = 32;

    /// <summary>
    /// Most rooms one socket may be in, its own id room included; <see cref="SocketIOSocket.Join(string)"/> beyond it
    /// joins nothing and returns false. Server-side joins (<c>SocketsJoinAsync</c>) are not limited. 0: no limit.
    /// Default 1,000.
    /// </summary>
    public int MaxRoomsPerSocket { get; set; } = 1000;

    /// <summary>
    /// The acknowledgement argument sent when a typed handler's argument (<c>On&lt;T&gt;</c>) does not bind; the
    /// handler is then not called. Receives the event, the index of the argument and the binding error. Default:
    /// <c>{"ok":false,"error":{"code":"INVALID_PAYLOAD","message":"Argument 1 does not have the expected shape."}}</c>.
    /// </summary>
    public Func<SocketIOEvent, int, JsonException, object?> InvalidPayloadAck { get; set; } = static (_, index, _) => new
    {
        ok = false,
        error = new { code = "INVALID_PAYLOAD", message = $"Argument {index + 1} does not have the expected shape." },
    };
}
