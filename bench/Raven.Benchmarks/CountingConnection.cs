using Raven.EngineIO;

namespace Raven.Benchmarks;

/// <summary>An Engine.IO session without a transport: it accepts everything queued on it and only counts the messages.</summary>
internal sealed class CountingConnection(string id) : IEngineConnection
{
    private static readonly EngineHandshake EmptyHandshake = new()
    {
        Headers = new Dictionary<string, string>(),
        Query = new Dictionary<string, string>(),
        RemoteAddress = "127.0.0.1",
        Url = "/socket.io/",
        Secure = false,
        Issued = DateTimeOffset.UnixEpoch,
    };

    public long Messages;

    public string Id => id;

    public EngineHandshake Handshake => EmptyHandshake;

    public string Transport => "websocket";

    public bool IsConnected => true;

    public CancellationToken Closed => CancellationToken.None;

    public IDictionary<object, object?> Items { get; } = new Dictionary<object, object?>();

    public object? HandlerState { get; set; }

    public bool TrySend(ReadOnlySpan<EngineMessage> messages, bool isVolatile = false)
    {
        Messages += messages.Length;
        return true;
    }

    public void Close()
    {
    }
}
