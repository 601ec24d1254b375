using System.Buffers;
using System.Text;
using System.Threading.Channels;
using Raven.EngineIO;

namespace Raven.SocketIO.Tests.Infrastructure;

/// <summary>
/// An Engine.IO session without a network: the test plays the client by feeding packets to the handler and
/// reading what the server queued. Mimics the real queue bound and slow-consumer policy.
/// </summary>
public sealed class InMemoryConnection : IEngineConnection
{
    private readonly IEngineIOHandler _handler;
    private readonly CancellationTokenSource _closed = new();
    private readonly Channel<EngineMessage> _outbox = Channel.CreateUnbounded<EngineMessage>();
    private readonly TaskCompletionSource<string> _closeReason = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _queued;
    private int _isClosed;

    public InMemoryConnection(IEngineIOHandler handler, int capacity = 4096, EngineHandshake? handshake = null)
    {
        _handler = handler;
        Capacity = capacity;
        Handshake = handshake ?? new EngineHandshake
        {
            Headers = new Dictionary<string, string> { ["Cookie"] = "a=1; b=two", ["User-Agent"] = "test" },
            Query = new Dictionary<string, string> { ["EIO"] = "4", ["transport"] = "websocket" },
            RemoteAddress = "127.0.0.1",
            Url = "/socket.io/?EIO=4&transport=websocket",
            Secure = false,
            Issued = DateTimeOffset.UtcNow,
        };
    }

    public string Id { get; } = Guid.NewGuid().ToString("N");

    public EngineHandshake Handshake { get; }

    public string Transport => "websocket";

    public bool IsConnected => Volatile.Read(ref _isClosed) == 0;

    public CancellationToken Closed => _closed.Token;

    public IDictionary<object, object?> Items { get; } = new Dictionary<object, object?>();

    public object? HandlerState { get; set; }

    public int Capacity { get; set; }

    /// <summary>Every unit ever queued (what TrySend accepted), with its volatile flag.</summary>
    public List<(EngineMessage[] Messages, bool IsVolatile)> SentUnits { get; } = [];

    public Task<string> CloseReason => _closeReason.Task;

    public static async Task<InMemoryConnection> OpenAsync(IEngineIOHandler handler, int capacity = 4096)
    {
        var connection = new InMemoryConnection(handler, capacity);
        await handler.OnConnectedAsync(connection);
        return connection;
    }

    public bool TrySend(ReadOnlySpan<EngineMessage> messages, bool isVolatile = false)
    {
        lock (SentUnits)
        {
            if (!IsConnected)
            {
                return false;
            }

            if (_queued + messages.Length > Capacity)
            {
                if (!isVolatile)
                {
                    _ = CloseAsync(EngineCloseReasons.SlowConsumer);
                }

                return false;
            }

            _queued += messages.Length;
            SentUnits.Add((messages.ToArray(), isVolatile));
            foreach (var m in messages)
            {
                _outbox.Writer.TryWrite(m);
            }
        }

        return true;
    }

    public void Close() => _ = CloseAsync(EngineCloseReasons.ForcedClose);

    /// <summary>Simulates the transport going away (ping timeout, transport close...).</summary>
    public async Task CloseAsync(string reason)
    {
        if (Interlocked.Exchange(ref _isClosed, 1) != 0)
        {
            return;
        }

        _closed.Cancel();
        _outbox.Writer.TryComplete();
        await _handler.OnClosedAsync(this, reason);
        _closeReason.TrySetResult(reason);
    }

    /// <summary>The client sends a Socket.IO packet (the Engine.IO message text, without the <c>4</c>).</summary>
    public ValueTask SendAsync(string text) => SendAsync(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(text)));

    public ValueTask SendAsync(ReadOnlySequence<byte> utf8) => IsConnected ? _handler.OnTextAsync(this, utf8) : default;

    public ValueTask SendBinaryAsync(params byte[] data) => IsConnected ? _handler.OnBinaryAsync(this, new ReadOnlySequence<byte>(data)) : default;

    /// <summary>The next message the server queued: text as a string, binary as "BIN " + hex.</summary>
    public async Task<string> ReceiveAsync(int timeoutMs = 5000)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        var message = await _outbox.Reader.ReadAsync(cts.Token);
        Interlocked.Decrement(ref _queued);
        return Describe(message);
    }

    /// <summary>Whether nothing more is queued within <paramref name="ms"/>.</summary>
    public async Task<bool> NothingWithinAsync(int ms)
    {
        using var cts = new CancellationTokenSource(ms);
        try
        {
            return !await _outbox.Reader.WaitToReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    public static string Describe(EngineMessage message)
        => message.IsBinary ? "BIN " + Convert.ToHexString(message.Data.Span) : Encoding.UTF8.GetString(message.Data.Span);
}
