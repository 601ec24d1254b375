using System.Text.Json;
using Raven.Testing.Internal;

namespace Raven.Testing;

/// <summary>A client, manager or raw Engine.IO socket living in a <see cref="NodeDriver"/>, with its recorded events.</summary>
public abstract class DriverEndpoint
{
    private protected DriverEndpoint(NodeDriver driver, ClientEventLog log)
    {
        Driver = driver;
        Log = log;
    }

    /// <summary>The id the driver knows this endpoint by.</summary>
    public string Id => Log.Client;

    public NodeDriver Driver { get; }

    /// <summary>Everything received so far, in arrival order.</summary>
    public IReadOnlyList<DriverEvent> Events => Log.Snapshot();

    private protected ClientEventLog Log { get; }

    /// <summary>
    /// Waits for the first event named <paramref name="name"/> (and matching <paramref name="predicate"/>) that no
    /// earlier wait on this endpoint returned; events that arrived before the call count. Consecutive waits for
    /// the same name therefore return consecutive events. The timeout message lists the last events received.
    /// </summary>
    public Task<DriverEvent> WaitForEventAsync(string name, TimeSpan? timeout = null, Func<DriverEvent, bool>? predicate = null) =>
        Log.WaitAsync(
            e => e.Name == name && (predicate is null || predicate(e)),
            timeout ?? NodeDriver.DefaultTimeout,
            $"'{name}'",
            Driver.Diagnostics);

    /// <summary>Waits for the first untaken event satisfying <paramref name="predicate"/>, whatever its name.</summary>
    public Task<DriverEvent> WaitForAnyAsync(Func<DriverEvent, bool> predicate, string description, TimeSpan? timeout = null) =>
        Log.WaitAsync(predicate, timeout ?? NodeDriver.DefaultTimeout, description, Driver.Diagnostics);

    /// <summary>Received events with this name, in order (taken by waits or not).</summary>
    public IReadOnlyList<DriverEvent> EventsNamed(string name) => [.. Events.Where(e => e.Name == name)];

    /// <summary>A readable dump of the last events, for assertion messages.</summary>
    public string DescribeEvents() => Log.Describe();

    /// <summary>Forgets this endpoint in the driver, closing what it holds.</summary>
    public Task RemoveAsync() => Driver.SendCommandAsync("remove", new { client = Id });

    private protected static object?[] Args(object?[]? args) => args ?? [null];

    private protected static JsonElement[] ToArray(JsonElement array) =>
        array.ValueKind == JsonValueKind.Array ? [.. array.EnumerateArray()] : [];
}

/// <summary>A socket.io-client <c>Socket</c> (one namespace) in the Node driver.</summary>
public sealed class SocketIOTestClient : DriverEndpoint
{
    internal SocketIOTestClient(NodeDriver driver, ClientEventLog log)
        : base(driver, log)
    {
    }

    /// <summary>Waits for <c>connect</c> and returns the socket id.</summary>
    public async Task<string> WaitForConnectAsync(TimeSpan? timeout = null)
    {
        var e = await WaitForEventAsync("connect", timeout).ConfigureAwait(false);
        return e.Arg(0).GetProperty("id").GetString() ?? "";
    }

    /// <summary>Waits for <c>connect_error</c>; returns <c>err.message</c> and <c>err.data</c>.</summary>
    public async Task<ConnectError> WaitForConnectErrorAsync(TimeSpan? timeout = null)
    {
        var e = await WaitForEventAsync("connect_error", timeout).ConfigureAwait(false);
        var err = e.Arg(0);
        var message = err.TryGetProperty("message", out var m) ? m.GetString() ?? "" : "";
        return new ConnectError(message, err.TryGetProperty("data", out var d) ? d : default);
    }

    /// <summary>Waits for <c>disconnect</c> and returns its reason ("io server disconnect", "transport close", ...).</summary>
    public async Task<string> WaitForDisconnectAsync(TimeSpan? timeout = null)
    {
        var e = await WaitForEventAsync("disconnect", timeout).ConfigureAwait(false);
        return e.Arg(0).GetString() ?? "";
    }

    /// <summary><c>socket.emit(event, ...args)</c>; <c>byte[]</c> arguments are sent as binary.</summary>
    public Task EmitAsync(string eventName, params object?[] args) =>
        Driver.SendCommandAsync("emit", new { client = Id, @event = eventName, args = Args(args) });

    /// <summary><c>socket.volatile.emit(event, ...args)</c>.</summary>
    public Task EmitVolatileAsync(string eventName, params object?[] args) =>
        Driver.SendCommandAsync("emit", new { client = Id, @event = eventName, args = Args(args), @volatile = true });

    /// <summary>
    /// <c>socket.timeout(ms).emit(event, ...args, callback)</c>: returns every argument of the server's ack.
    /// Throws <see cref="NodeCommandException"/> with <c>ErrorMessage == "operation has timed out"</c> if none comes.
    /// </summary>
    public async Task<JsonElement[]> EmitWithAckAsync(string eventName, TimeSpan timeout, params object?[] args)
    {
        var result = await Driver.SendCommandAsync(
            "emitWithAck",
            new { client = Id, @event = eventName, args = Args(args), timeout = (int)timeout.TotalMilliseconds },
            timeout).ConfigureAwait(false);
        return ToArray(result);
    }

    /// <summary>When the server emits <paramref name="eventName"/> with an ack, the client answers with <paramref name="reply"/>.</summary>
    public Task OnAckRequestAsync(string eventName, params object?[] reply) =>
        Driver.SendCommandAsync("onAck", new { client = Id, @event = eventName, reply = Args(reply) });

    /// <summary><c>socket.disconnect()</c>.</summary>
    public Task DisconnectAsync() => Driver.SendCommandAsync("disconnect", new { client = Id });

    /// <summary><c>socket.connect()</c> again (after a disconnect).</summary>
    public Task ConnectAgainAsync() => Driver.SendCommandAsync("reconnect", new { client = Id });

    /// <summary>Closes the underlying Engine.IO connection (<c>socket.io.engine.close()</c>), as a network drop would.</summary>
    public Task CloseEngineAsync() => Driver.SendCommandAsync("closeEngine", new { client = Id });

    /// <summary><c>{ id, connected, active, recovered, transport }</c> as the client sees them now.</summary>
    public Task<JsonElement> GetStatusAsync() => Driver.SendCommandAsync("status", new { client = Id });

    /// <summary>The Engine.IO transport in use now: "polling" or "websocket" (null before the first open).</summary>
    public async Task<string?> GetTransportAsync()
    {
        var status = await GetStatusAsync().ConfigureAwait(false);
        return status.GetProperty("transport").GetString();
    }
}

/// <summary>A socket.io-client <c>Manager</c>; its events are named <c>manager:open</c>, <c>manager:reconnect</c>, ...</summary>
public sealed class TestManager : DriverEndpoint
{
    internal TestManager(NodeDriver driver, ClientEventLog log)
        : base(driver, log)
    {
    }

    /// <summary><c>manager.socket(nsp, options)</c>, connecting at once unless <c>autoConnect: false</c>.</summary>
    public async Task<SocketIOTestClient> SocketAsync(string nsp, object? options = null, string? clientId = null)
    {
        var id = clientId ?? $"{Id}{nsp}";
        var log = Driver.Log(id);
        await Driver.SendCommandAsync("connect", new { client = id, manager = Id, nsp, opts = options ?? new { } }).ConfigureAwait(false);
        return new SocketIOTestClient(Driver, log);
    }
}

/// <summary>A raw engine.io-client <c>Socket</c>: events <c>open</c>, <c>message</c>, <c>close</c>, <c>error</c>, <c>upgrading</c>, <c>upgrade</c>, <c>upgradeError</c>, <c>packet</c>.</summary>
public sealed class EngineIOTestClient : DriverEndpoint
{
    internal EngineIOTestClient(NodeDriver driver, ClientEventLog log)
        : base(driver, log)
    {
    }

    /// <summary>Waits for <c>open</c>; returns the session id and the transport it opened with.</summary>
    public async Task<(string Sid, string Transport)> WaitForOpenAsync(TimeSpan? timeout = null)
    {
        var e = await WaitForEventAsync("open", timeout).ConfigureAwait(false);
        var info = e.Arg(0);
        return (info.GetProperty("sid").GetString() ?? "", info.GetProperty("transport").GetString() ?? "");
    }

    public Task SendAsync(string text) => Driver.SendCommandAsync("eioSend", new { client = Id, data = text });

    public Task SendAsync(byte[] data) => Driver.SendCommandAsync("eioSend", new { client = Id, data });

    /// <summary>The next message: a JSON string, or a <c>{"$binary"}</c> object (see <see cref="JsBinary"/>).</summary>
    public async Task<JsonElement> WaitForMessageAsync(TimeSpan? timeout = null) =>
        (await WaitForEventAsync("message", timeout).ConfigureAwait(false)).Arg(0);

    public async Task<string> WaitForTextAsync(TimeSpan? timeout = null)
    {
        var m = await WaitForMessageAsync(timeout).ConfigureAwait(false);
        return m.ValueKind == JsonValueKind.String ? m.GetString()! : throw new InvalidOperationException($"Expected a text message, got {m.GetRawText()}.\n{DescribeEvents()}");
    }

    public async Task<byte[]> WaitForBinaryAsync(TimeSpan? timeout = null) =>
        JsBinary.Read(await WaitForMessageAsync(timeout).ConfigureAwait(false));

    /// <summary>Waits for <c>close</c> and returns its reason ("transport close", "ping timeout", "forced close"...).</summary>
    public async Task<string> WaitForCloseAsync(TimeSpan? timeout = null) =>
        (await WaitForEventAsync("close", timeout).ConfigureAwait(false)).Arg(0).GetString() ?? "";

    /// <summary>Waits for a completed upgrade and returns the new transport's name.</summary>
    public async Task<string> WaitForUpgradeAsync(TimeSpan? timeout = null) =>
        (await WaitForEventAsync("upgrade", timeout).ConfigureAwait(false)).Arg(0).GetString() ?? "";

    /// <summary><c>socket.close()</c>.</summary>
    public Task CloseAsync() => Driver.SendCommandAsync("disconnect", new { client = Id });
}
