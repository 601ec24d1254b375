namespace Raven.Testing;

/// <summary>
/// A real <c>redis-server</c> on a free port, without persistence, started by a test fixture. Fails (never skips)
/// when redis-server is not installed. <see cref="RestartAsync"/> stops it and starts a fresh one on the same port.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private ExternalProcess _process;

    private RedisServer(int port, ExternalProcess process)
    {
        Port = port;
        _process = process;
    }

    public int Port { get; }

    /// <summary><c>redis://127.0.0.1:{port}</c>, the form of <c>REDIS_URL</c>.</summary>
    public string Url => $"redis://127.0.0.1:{Port}";

    public int Pid => _process.Pid;

    public static async Task<RedisServer> StartAsync()
    {
        var port = FreePort.Get();
        return new RedisServer(port, await LaunchAsync(port).ConfigureAwait(false));
    }

    /// <summary>Kills the server (as a crash would), leaving the port closed until <see cref="StartAgainAsync"/>.</summary>
    public Task StopAsync() => _process.StopAsync();

    /// <summary>Starts a new server on the same port (empty: nothing was persisted).</summary>
    public async Task StartAgainAsync()
    {
        await _process.DisposeAsync().ConfigureAwait(false);
        _process = await LaunchAsync(Port).ConfigureAwait(false);
    }

    public async Task RestartAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await StartAgainAsync().ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    private static async Task<ExternalProcess> LaunchAsync(int port)
    {
        ExternalProcess process;
        try
        {
            process = ExternalProcess.Start(
                "redis-server",
                ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("redis-server is not installed (Debian package redis-server); the Redis tests need it.", e);
        }

        try
        {
            await process.WaitForOutputAsync(l => l.Contains("Ready to accept connections", StringComparison.Ordinal), TimeSpan.FromSeconds(20)).ConfigureAwait(false);
            return process;
        }
        catch
        {
            await process.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
