using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Options;
using Raven.EngineIO;
using Raven.SocketIO;

namespace Raven.Benchmarks;

/// <summary>
/// Per-message and per-connection costs of the Socket.IO layer on the inbound side, through the Engine.IO seam
/// (<see cref="IEngineIOHandler"/>) with an in-memory connection: one client event parsed and dispatched to its
/// handler (the chat registers four per socket), and one socket connecting and registering those four handlers.
/// </summary>
[MemoryDiagnoser]
public class InboundBenchmarks
{
    private static readonly ReadOnlySequence<byte> Connect = new(Encoding.UTF8.GetBytes("0"));
    private static readonly ReadOnlySequence<byte> Event = new(Encoding.UTF8.GetBytes(
        "2[\"send_message\",{\"conversationId\":\"c0ffee\",\"text\":\"Hello, everyone! How is it going today?\"}]"));

    private static readonly Func<SocketIOEvent, Task> Handler = static _ => Task.CompletedTask;

    private SocketIOServer _io = null!;
    private IEngineIOHandler _handler = null!;
    private CountingConnection _connection = null!;

    [GlobalSetup]
    public void Setup()
    {
        _io = new SocketIOServer(Options.Create(new SocketIOOptions()));
        _io.OnConnection(socket =>
        {
            socket.On("join_conversation", Handler);
            socket.On("leave_conversation", Handler);
            socket.On("send_message", Handler);
            socket.On("heartbeat", Handler);
        });
        _handler = _io.EngineHandler;
        _connection = new CountingConnection("bench");
        _handler.OnConnectedAsync(_connection).AsTask().GetAwaiter().GetResult();
        _handler.OnTextAsync(_connection, Connect).AsTask().GetAwaiter().GetResult();
    }

    /// <summary>One <c>send_message</c> event from the client: parse, route, run its handler.</summary>
    [Benchmark]
    public ValueTask DispatchEvent() => _handler.OnTextAsync(_connection, Event);

    /// <summary>A session opens, connects to <c>/</c> (four handlers registered), and closes.</summary>
    [Benchmark]
    public void ConnectRegisterAndClose()
    {
        var connection = new CountingConnection("c");
        _handler.OnConnectedAsync(connection).AsTask().GetAwaiter().GetResult();
        _handler.OnTextAsync(connection, Connect).AsTask().GetAwaiter().GetResult();
        _handler.OnClosedAsync(connection, EngineCloseReasons.TransportClose).AsTask().GetAwaiter().GetResult();
    }
}
