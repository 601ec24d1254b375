using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Raven.Testing.Internal;

namespace Raven.Testing;

/// <summary>
/// A Node.js process running tests/js/driver.mjs, which drives the official socket.io-client and engine.io-client.
/// One driver hosts any number of clients. Dispose kills the process tree.
/// </summary>
/// <example>
/// <code>
/// await using var node = await NodeDriver.StartAsync();
/// var client = await node.ConnectAsync(host.BaseUrl, new { transports = new[] { "websocket" }, auth = new { token = "t" } });
/// await client.WaitForConnectAsync();
/// var reply = await client.EmitWithAckAsync("echo", TimeSpan.FromSeconds(5), "hi", new byte[] { 1, 2 });
/// </code>
/// </example>
public sealed class NodeDriver : IAsyncDisposable
{
    /// <summary>The wait used when a call gets no explicit timeout. Generous: CI machines are small and busy.</summary>
    public static TimeSpan DefaultTimeout { get; set; } = TimeSpan.FromSeconds(10);

    internal static readonly JsonSerializerOptions JsonOptions = new() { Converters = { new BinaryJsonConverter() } };

    private const int MaxStderrLines = 100;

    private readonly Process _process;
    private readonly StreamWriter _stdin;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<long, (string Command, TaskCompletionSource<JsonElement> Signal)> _pending = new();
    private readonly ConcurrentDictionary<string, ClientEventLog> _logs = new();
    private readonly Queue<string> _stderr = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _readLoop;
    private long _nextId;
    private int _nextClient;
    private int _disposed;
    private Exception? _failure;

    private NodeDriver(Process process)
    {
        _process = process;
        _stdin = process.StandardInput;
        _stdin.AutoFlush = false;
        process.ErrorDataReceived += (_, e) => OnStderr(e.Data);
        process.BeginErrorReadLine();
        _readLoop = Task.Run(ReadLoopAsync);
    }

    /// <summary>The Node process id.</summary>
    public int Pid => _process.Id;

    /// <summary>
    /// Makes sure tests/js has its packages (<c>npm ci</c>, once, under a cross-process lock) and starts the driver.
    /// </summary>
    public static async Task<NodeDriver> StartAsync(CancellationToken cancellationToken = default)
    {
        var js = RepoPaths.JsDirectory;
        await NpmInstaller.EnsureInstalledAsync(js, cancellationToken).ConfigureAwait(false);

        var psi = new ProcessStartInfo("node")
        {
            WorkingDirectory = js,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        psi.ArgumentList.Add(Path.Combine(js, "driver.mjs"));

        var process = Process.Start(psi) ?? throw new InvalidOperationException("Could not start node.");
        var driver = new NodeDriver(process);
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(TimeSpan.FromSeconds(30));
            await driver._ready.Task.WaitAsync(cts.Token).ConfigureAwait(false);
            return driver;
        }
        catch (Exception e)
        {
            var stderr = driver.RecentStderr;
            await driver.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"The node driver did not start: {e.Message}\nstderr:\n{stderr}", e);
        }
    }

    /// <summary>
    /// <c>io(url, options)</c>: a socket.io-client socket on the namespace in <paramref name="url"/> (e.g.
    /// <c>http://127.0.0.1:5000/admin</c>). <paramref name="options"/> is an anonymous object or a JSON node
    /// (<c>transports</c>, <c>auth</c>, <c>query</c>, <c>path</c>, <c>forceNew</c>, <c>reconnection</c>, <c>extraHeaders</c>...).
    /// It starts connecting at once; use <see cref="SocketIOTestClient.WaitForConnectAsync"/>.
    /// </summary>
    public async Task<SocketIOTestClient> ConnectAsync(string url, object? options = null, string? clientId = null)
    {
        var id = clientId ?? $"c{Interlocked.Increment(ref _nextClient)}";
        var log = Log(id);
        await SendCommandAsync("connect", new { client = id, url, opts = options ?? new { } }).ConfigureAwait(false);
        return new SocketIOTestClient(this, log);
    }

    /// <summary><c>new Manager(url, options)</c>: one Engine.IO connection shared by several namespace sockets.</summary>
    public async Task<TestManager> CreateManagerAsync(string url, object? options = null, string? managerId = null)
    {
        var id = managerId ?? $"m{Interlocked.Increment(ref _nextClient)}";
        var log = Log(id);
        await SendCommandAsync("manager", new { manager = id, url, opts = options ?? new { } }).ConfigureAwait(false);
        return new TestManager(this, log);
    }

    /// <summary>
    /// A raw engine.io-client socket (<c>new Socket(url, options)</c>). The URL is the server base; set
    /// <c>path</c> in <paramref name="options"/> (e.g. <c>"/engine.io/"</c>). With <paramref name="recordPackets"/>
    /// every packet (ping, pong...) is recorded as a <c>packet</c> event.
    /// </summary>
    public async Task<EngineIOTestClient> OpenEngineAsync(string url, object? options = null, bool recordPackets = false, string? clientId = null)
    {
        var id = clientId ?? $"e{Interlocked.Increment(ref _nextClient)}";
        var log = Log(id);
        await SendCommandAsync("eioOpen", new { client = id, url, opts = options ?? new { }, packets = recordPackets }).ConfigureAwait(false);
        return new EngineIOTestClient(this, log);
    }

    /// <summary>
    /// Sends one command to the driver (see driver.mjs) and returns its result. <paramref name="arguments"/> is an
    /// object whose properties become the command's fields. Throws <see cref="NodeCommandException"/> if it fails.
    /// </summary>
    public async Task<JsonElement> SendCommandAsync(string command, object? arguments = null, TimeSpan? timeout = null)
    {
        var message = arguments is null
            ? new JsonObject()
            : JsonSerializer.SerializeToNode(arguments, JsonOptions) as JsonObject
                ?? throw new ArgumentException("Command arguments must serialize to a JSON object.", nameof(arguments));
        var id = Interlocked.Increment(ref _nextId);
        message["id"] = id;
        message["cmd"] = command;

        var signal = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = (command, signal);
        if (_failure is not null)
        {
            _pending.TryRemove(id, out _);
            throw new InvalidOperationException($"The node driver is gone: {_failure.Message}\nstderr:\n{RecentStderr}", _failure);
        }

        var line = message.ToJsonString(JsonOptions);
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await _stdin.WriteLineAsync(line).ConfigureAwait(false);
            await _stdin.FlushAsync().ConfigureAwait(false);
        }
        catch (IOException e)
        {
            _pending.TryRemove(id, out _);
            throw new InvalidOperationException($"The node driver is gone (write failed).\nstderr:\n{RecentStderr}", e);
        }
        finally
        {
            _writeLock.Release();
        }

        // A command's own timeout (e.g. an ack timeout) is enforced by the driver; this guards against a hung driver.
        var guard = (timeout ?? DefaultTimeout) + TimeSpan.FromSeconds(10);
        try
        {
            return await signal.Task.WaitAsync(guard).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _pending.TryRemove(id, out _);
            throw new TimeoutException($"The node driver did not answer '{command}' within {guard.TotalSeconds:0} s.\nstderr:\n{RecentStderr}");
        }
    }

    /// <summary>The last lines the driver wrote to stderr (uncaught errors, diagnostics).</summary>
    public string RecentStderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.Count == 0 ? "(empty)" : string.Join('\n', _stderr);
            }
        }
    }

    /// <summary>Every event every client of this driver received so far, ordered by arrival.</summary>
    public IReadOnlyList<DriverEvent> AllEvents =>
        [.. _logs.Values.SelectMany(l => l.Snapshot()).OrderBy(e => e.Seq)];

    /// <summary>Closes stdin (the driver closes its clients and exits), then kills the process tree if it lingers.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            _stdin.Close();
        }
        catch (IOException)
        {
            // Already gone.
        }

        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(3)))
        {
            try
            {
                await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                ExternalProcess.KillTree(_process);
                try
                {
                    await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    // Nothing more to do; never fail a test in cleanup.
                }
            }
        }

        try
        {
            await _readLoop.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }

        _process.Dispose();
        _writeLock.Dispose();
    }

    internal string Diagnostics() => $"Driver stderr (pid {Pid}):\n{RecentStderr}";

    internal ClientEventLog Log(string client) => _logs.GetOrAdd(client, static c => new ClientEventLog(c));

    private async Task ReadLoopAsync()
    {
        var reader = _process.StandardOutput;
        Exception? failure = null;
        try
        {
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                if (line.Length > 0)
                {
                    try
                    {
                        Dispatch(line);
                    }
                    catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException or FormatException)
                    {
                        // A malformed line must not stop the loop: every later result would then be lost.
                        OnStderr($"[unreadable line: {e.Message}] {line}");
                    }
                }
            }
        }
        catch (Exception e)
        {
            failure = e;
        }

        try
        {
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }

        var exit = _process.HasExited ? $"exit code {_process.ExitCode}" : "stdout closed";
        Fail(new InvalidOperationException($"The node driver stopped ({exit}).", failure));
    }

    private void Dispatch(string line)
    {
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(line);
            root = doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            OnStderr($"[stdout, not JSON] {line}");
            return;
        }

        switch (root.TryGetProperty("type", out var type) ? type.GetString() : null)
        {
            case "ready":
                _ready.TrySetResult();
                break;
            case "event":
                var client = root.GetProperty("client").GetString() ?? "?";
                var args = root.TryGetProperty("args", out var a) && a.ValueKind == JsonValueKind.Array
                    ? [.. a.EnumerateArray()]
                    : Array.Empty<JsonElement>();
                Log(client).Add(new DriverEvent(client, root.GetProperty("name").GetString() ?? "?", args, root.GetProperty("seq").GetInt64()));
                break;
            case "result":
                if (root.TryGetProperty("id", out var idElement)
                    && idElement.ValueKind == JsonValueKind.Number
                    && _pending.TryRemove(idElement.GetInt64(), out var pending))
                {
                    if (root.GetProperty("ok").GetBoolean())
                    {
                        pending.Signal.TrySetResult(root.TryGetProperty("result", out var r) ? r : default);
                    }
                    else
                    {
                        var error = root.GetProperty("error");
                        var message = error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var m)
                            ? m.GetString() ?? "?"
                            : error.GetRawText();
                        pending.Signal.TrySetException(new NodeCommandException(pending.Command, message, error));
                    }
                }
                else
                {
                    OnStderr($"[unmatched result] {line}");
                }

                break;
            default:
                OnStderr($"[unknown line] {line}");
                break;
        }
    }

    private void Fail(Exception failure)
    {
        _failure = failure;
        _ready.TrySetException(failure);
        foreach (var id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out var pending))
            {
                pending.Signal.TrySetException(new InvalidOperationException($"{failure.Message}\nstderr:\n{RecentStderr}", failure));
            }
        }

        foreach (var log in _logs.Values)
        {
            log.Fail(failure);
        }
    }

    private void OnStderr(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_stderr)
        {
            _stderr.Enqueue(line);
            while (_stderr.Count > MaxStderrLines)
            {
                _stderr.Dequeue();
            }
        }
    }
}
