using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using Raven.Testing;

namespace Raven.EngineIO.Tests.Infrastructure;

/// <summary>The conformance app (both endpoints, as the independent checker sees it) on a free port, shared by a test class.</summary>
public sealed class ConformanceFixture : IAsyncLifetime
{
    private TestHost? _host;

    public string BaseUrl => _host!.BaseUrl;

    public async Task InitializeAsync()
    {
        var app = ConformanceApp.Build(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning"]);
        _host = await TestHost.StartAsync(app);
        await WarmUpAsync();
    }

    /// <summary>
    /// Runs every code path once, so that JIT compilation on a busy machine does not eat into the 300/200 ms
    /// heartbeat budget that the tests (like the checker) work within.
    /// </summary>
    private async Task WarmUpAsync()
    {
        using var client = new EioClient(BaseUrl);
        for (var i = 0; i < 3; i++)
        {
            try
            {
                await WarmUpOnceAsync(client);
            }
            catch (Exception ex) when (ex is WebSocketException or Xunit.Sdk.XunitException or OperationCanceledException)
            {
                // Cold code can be slow enough for the 500 ms heartbeat budget to run out; that is why we warm up.
            }
        }
    }

    private static async Task WarmUpOnceAsync(EioClient client)
    {
        {
            var (sid, _) = await client.HandshakeAsync();
            await client.SendAsync(sid, "4warm");
            await client.PollAsync(sid);
            using var upgrade = await client.ConnectWebSocketAsync(sid);
            await Ws.SendTextAsync(upgrade, "2probe");
            await Ws.ReceiveAsync(upgrade);
            await client.PollAsync(sid);
            await Ws.SendTextAsync(upgrade, "5");
            await Ws.SendTextAsync(upgrade, "4warm");
            await Ws.ReceiveSkippingPingsAsync(upgrade);
            await Ws.SendTextAsync(upgrade, "1");
            await Ws.WaitForCloseAsync(upgrade, TimeSpan.FromSeconds(2));
        }
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}

/// <summary>A handler that records every call and, optionally, echoes; tests inspect sessions through it.</summary>
public sealed class RecordingHandler : IEngineIOHandler
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<string>> _closed = new();
    private readonly ConcurrentDictionary<string, IEngineConnection> _connections = new();
    private readonly ConcurrentQueue<string> _violations = new();
    private readonly ConcurrentDictionary<string, int> _busy = new();

    public bool Echo { get; init; } = true;

    public Func<IEngineConnection, string, ValueTask>? OnText { get; init; }

    public ConcurrentQueue<string> Events { get; } = new();

    /// <summary>Calls that broke the seam's contract (overlapping calls, calls after close); must stay empty.</summary>
    public IReadOnlyCollection<string> Violations => _violations;

    public IEngineConnection Connection(string sid) => _connections[sid];

    public Task<string> ClosedReason(string sid) => _closed.GetOrAdd(sid, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public ValueTask OnConnectedAsync(IEngineConnection connection)
    {
        _connections[connection.Id] = connection;
        Events.Enqueue($"{connection.Id} connected");
        return ValueTask.CompletedTask;
    }

    public async ValueTask OnTextAsync(IEngineConnection connection, ReadOnlySequence<byte> utf8)
    {
        Enter(connection);
        var text = System.Text.Encoding.UTF8.GetString(utf8.ToArray());
        Events.Enqueue($"{connection.Id} text {text}");
        if (OnText is not null)
        {
            await OnText(connection, text);
        }
        else if (Echo)
        {
            connection.TrySend([EngineMessage.Text(utf8.ToArray())]);
        }

        Leave(connection);
    }

    public ValueTask OnBinaryAsync(IEngineConnection connection, ReadOnlySequence<byte> data)
    {
        Enter(connection);
        Events.Enqueue($"{connection.Id} binary {Convert.ToHexString(data.ToArray())}");
        if (Echo)
        {
            connection.TrySend([EngineMessage.Binary(data.ToArray())]);
        }

        Leave(connection);
        return ValueTask.CompletedTask;
    }

    public ValueTask OnClosedAsync(IEngineConnection connection, string reason)
    {
        Events.Enqueue($"{connection.Id} closed {reason}");
        if (!_closed.GetOrAdd(connection.Id, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(reason))
        {
            _violations.Enqueue($"{connection.Id}: OnClosed twice");
        }

        return ValueTask.CompletedTask;
    }

    private void Enter(IEngineConnection connection)
    {
        if (_busy.AddOrUpdate(connection.Id, 1, (_, n) => n + 1) != 1)
        {
            _violations.Enqueue($"{connection.Id}: overlapping handler calls");
        }

        if (_closed.TryGetValue(connection.Id, out var closed) && closed.Task.IsCompleted)
        {
            _violations.Enqueue($"{connection.Id}: message after OnClosed");
        }
    }

    private void Leave(IEngineConnection connection) => _busy.AddOrUpdate(connection.Id, 0, (_, n) => n - 1);
}

public static class EngineHost
{
    /// <summary>A minimal app with one Engine.IO endpoint at /engine.io/ on a free port.</summary>
    public static Task<TestHost> StartAsync(IEngineIOHandler handler, Action<EngineIOOptions>? configure = null)
        => TestHost.StartAsync(null, app => app.MapEngineIO("/engine.io/", handler, configure));
}
