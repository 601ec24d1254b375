using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Raven.Testing;

namespace Raven.SocketIO.Redis.Tests;

/// <summary>
/// A real redis-server, any number of in-process Raven Socket.IO servers on it (each with the Redis adapter and a few
/// test handlers), optionally Node socket.io servers on @socket.io/redis-adapter, and a driver of official JS clients.
/// </summary>
public sealed class Cluster : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];

    private Cluster(RedisServer redis, NodeDriver clients)
    {
        Redis = redis;
        Clients = clients;
    }

    public RedisServer Redis { get; }

    public NodeDriver Clients { get; }

    public static async Task<Cluster> StartAsync()
    {
        var redis = await RedisServer.StartAsync();
        try
        {
            return new Cluster(redis, await NodeDriver.StartAsync());
        }
        catch
        {
            await redis.DisposeAsync();
            throw;
        }
    }

    /// <summary>A Raven server on the cluster's Redis. Handlers: <c>join(room) → ack "joined"</c>; query <c>room</c> joins at connect.</summary>
    public async Task<TestHost> StartRavenAsync(Action<SocketIOServer>? configure = null)
    {
        var host = await TestHost.StartAsync(
            b => b.Services.AddSocketIO().AddRedisAdapter(o =>
            {
                o.Configuration = Redis.Url;
                o.RequestsTimeout = TimeSpan.FromSeconds(3);
            }),
            app =>
            {
                app.MapSocketIO();
                var io = app.Services.GetRequiredService<SocketIOServer>();
                io.OnConnection(socket =>
                {
                    socket.Data = new { runtime = "raven", name = socket.Handshake.Query.GetValueOrDefault("name") };
                    if (socket.Handshake.Query.TryGetValue("room", out var room))
                    {
                        socket.Join(room);
                    }

                    socket.On("join", e =>
                    {
                        socket.Join(e.Get<string>(0)!);
                        e.Ack("joined");
                    });
                });
                configure?.Invoke(io);
            });
        _owned.Add(host);
        return host;
    }

    /// <summary><paramref name="count"/> Raven servers with the default handlers, once the first sees them all on Redis.</summary>
    public async Task<TestHost[]> StartRavensAsync(int count)
    {
        var hosts = new TestHost[count];
        for (var i = 0; i < count; i++)
        {
            hosts[i] = await StartRavenAsync();
        }

        await WaitForServersAsync(hosts[0].Services.GetIO(), count);
        return hosts;
    }

    public async Task<NodeServer> StartNodeAsync()
    {
        var node = await NodeServer.StartAsync(Redis.Url);
        _owned.Add(node);
        return node;
    }

    /// <summary>A connected WebSocket client of <paramref name="baseUrl"/> with the given query.</summary>
    public async Task<SocketIOTestClient> ConnectAsync(string baseUrl, object? query = null)
    {
        var client = await Clients.ConnectAsync(baseUrl, new { transports = new[] { "websocket" }, query = query ?? new { }, forceNew = true });
        await client.WaitForConnectAsync();
        return client;
    }

    /// <summary>Waits until <paramref name="count"/> servers subscribe to the main namespace's request channel.</summary>
    public static async Task WaitForServersAsync(SocketIOServer io, int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (await io.Sockets.Adapter.ServerCountAsync() < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Fewer than {count} servers subscribed to Redis.");
            }

            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Clients.DisposeAsync();
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }

        await Redis.DisposeAsync();
    }
}

/// <summary>tests/interop/node-server.mjs: a Node socket.io server on @socket.io/redis-adapter, controlled over HTTP.</summary>
public sealed class NodeServer : IAsyncDisposable
{
    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly ExternalProcess _process;

    private NodeServer(ExternalProcess process, int port)
    {
        _process = process;
        BaseUrl = $"http://127.0.0.1:{port}";
    }

    public string BaseUrl { get; }

    public static async Task<NodeServer> StartAsync(string redisUrl)
    {
        var directory = NpmPackages.InteropDirectory;
        await NpmPackages.EnsureInstalledAsync(directory);
        var port = FreePort.Get();
        var process = ExternalProcess.Start(
            "node",
            [Path.Combine(directory, "node-server.mjs")],
            directory,
            new Dictionary<string, string?> { ["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture), ["REDIS_URL"] = redisUrl });
        try
        {
            await process.WaitForOutputAsync(l => l.StartsWith("listening", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }

        return new NodeServer(process, port);
    }

    /// <summary>Runs one command of node-server.mjs (emit, emitWithAck, fetch, join, serverSideEmit, emitter...).</summary>
    public async Task<JsonElement> ControlAsync(object command)
    {
        using var response = await s_http.PostAsJsonAsync($"{BaseUrl}/control", command);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"node-server failed: {body}\n{_process.RecentOutput}");
        }

        return body.GetProperty("result");
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
