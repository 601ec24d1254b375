using System.Net.WebSockets;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Raven.SocketIO;

namespace Raven.Benchmarks;

/// <summary>
/// A room broadcast through the whole server: Kestrel, the Engine.IO session and its WebSocket write loop, to real
/// <see cref="ClientWebSocket"/> clients on loopback. One operation is one delivery (<c>OperationsPerInvoke</c>), so
/// Mean and Allocated are per recipient. Allocations are process-wide (BenchmarkDotNet counts every thread): the
/// clients' receive loops reuse one buffer each and allocate nothing per frame, so what shows is the server's.
/// </summary>
[MemoryDiagnoser]
public class WebSocketBroadcastBenchmarks
{
    private const string Room = "conversation:big";

    /// <summary>Room size: the bigroom scenario's 1,000 members.</summary>
    private const int Recipients = 1000;

    private WebApplication _app = null!;
    private SocketIOServer _io = null!;
    private ClientWebSocket[] _clients = [];
    private CancellationTokenSource _stop = null!;
    private long _received;
    private long _target;
    private TaskCompletionSource _delivered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _message = new { id = "m-1", conversationId = "big", senderId = "u-1", text = "Hello, everyone! How is it going today?" };


    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    [Benchmark(OperationsPerInvoke = Recipients)]
    public void BroadcastToRoomOverWebSocket()
    {
        _delivered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Add(ref _target, Recipients);
        _io.To(Room).Emit("new_message", _message);
        if (!_delivered.Task.Wait(TimeSpan.FromSeconds(30)))
        {
            throw new InvalidOperationException($"Only {Interlocked.Read(ref _received)} of {Interlocked.Read(ref _target)} deliveries arrived.");
        }
    }

    private async Task SetupAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Services.AddSocketIO();
        _app = builder.Build();
        _app.MapSocketIO();
        _io = _app.Services.GetRequiredService<SocketIOServer>();
        _io.OnConnection(socket => socket.Join(Room));
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        var uri = new Uri(address.Replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket");

        _stop = new CancellationTokenSource();
        _clients = new ClientWebSocket[Recipients];
        for (var i = 0; i < Recipients; i++)
        {
            var ws = _clients[i] = new ClientWebSocket();
            await ws.ConnectAsync(uri, CancellationToken.None);
            var buffer = new byte[64 * 1024];
            await ReceiveTextAsync(ws, buffer); // open
            await ws.SendAsync("40"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
            var reply = await ReceiveTextAsync(ws, buffer);
            if (!reply.StartsWith("40{", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("Unexpected CONNECT reply: " + reply);
            }

            _ = CountAsync(ws, buffer);
        }

        var members = 0;
        for (var attempt = 0; attempt < 100 && (members = _io.Sockets.Adapter.GetRoomMembers(Room).Count) < Recipients; attempt++)
        {
            await Task.Delay(50);
        }

        if (members != Recipients)
        {
            throw new InvalidOperationException($"Only {members} of {Recipients} sockets joined the room.");
        }
    }

    private async Task CountAsync(ClientWebSocket ws, byte[] buffer)
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var result = await ws.ReceiveAsync(buffer.AsMemory(), _stop.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                if (!result.EndOfMessage)
                {
                    continue;
                }

                if (result.Count == 1 && buffer[0] == (byte)'2')
                {
                    // Engine.IO ping: answer, or the server closes the session mid-run.
                    await ws.SendAsync("3"u8.ToArray(), WebSocketMessageType.Text, true, _stop.Token);
                    continue;
                }

                if (Interlocked.Increment(ref _received) == Interlocked.Read(ref _target))
                {
                    _delivered.TrySetResult();
                }
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
        }
    }

    private static async Task<string> ReceiveTextAsync(ClientWebSocket ws, byte[] buffer)
    {
        var length = 0;
        while (true)
        {
            var result = await ws.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
            length += result.Count;
            if (result.EndOfMessage)
            {
                return Encoding.UTF8.GetString(buffer, 0, length);
            }
        }
    }

    private async Task CleanupAsync()
    {
        _stop.Cancel();
        foreach (var ws in _clients)
        {
            ws.Abort();
            ws.Dispose();
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
