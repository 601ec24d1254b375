using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Options;
using Raven.EngineIO;
using Raven.SocketIO;

namespace Raven.Benchmarks;

/// <summary>One broadcast to 10 000 in-process sockets (in-memory connections that only count what they get).</summary>
[MemoryDiagnoser]
public class BroadcastBenchmarks
{
    private const int Sockets = 10_000;
    private static readonly byte[] Blob = new byte[256];
    private SocketIOServer _io = null!;
    private CountingConnection[] _connections = null!;

    [GlobalSetup]
    public void Setup()
    {
        _io = new SocketIOServer(Options.Create(new SocketIOOptions()));
        var handler = _io.EngineHandler;
        var connect = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes("0"));
        _connections = new CountingConnection[Sockets];
        for (var i = 0; i < Sockets; i++)
        {
            var c = _connections[i] = new CountingConnection(i.ToString());
            handler.OnConnectedAsync(c).AsTask().GetAwaiter().GetResult();
            handler.OnTextAsync(c, connect).AsTask().GetAwaiter().GetResult();
        }

        if (_io.Sockets.Sockets.Count != Sockets)
        {
            throw new InvalidOperationException("Setup failed: " + _io.Sockets.Sockets.Count);
        }

        var n = 0;
        foreach (var socket in _io.Sockets.Sockets.Values)
        {
            if (n++ % 10 == 0)
            {
                socket.Join("tenth");
            }
        }
    }

    [Benchmark]
    public void BroadcastText10k() => _io.Emit("new_message", "Hello, everyone!", 42);

    [Benchmark]
    public void BroadcastBinary10k() => _io.Emit("file", "a.bin", Blob);

    [Benchmark]
    public void BroadcastToRoomOfThousand() => _io.To("tenth").Emit("new_message", "Hello, room!");
}
