using System.Diagnostics;
using Npgsql;

namespace Raven.Testing;

/// <summary>
/// A real PostgreSQL server for tests: <c>initdb</c> into a private temp folder and <c>pg_ctl</c> on a free port on
/// 127.0.0.1, trust authentication for the superuser <c>raven</c>, durability settings off (it is thrown away).
/// PostgreSQL refuses to run as root, so under root it runs as the system user <c>postgres</c> (created as
/// <c>raven-postgres</c> when there is none) via <c>runuser</c>. Missing binaries fail the test with the fix
/// in the message; nothing is skipped. Dispose stops the server and deletes its folder.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private const string SuperUser = "raven";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(90);

    private readonly string _bin;
    private readonly string? _runAs;
    private readonly string _root;
    private int _stopped;

    private PostgresServer(string bin, string? runAs, string root, int port)
    {
        _bin = bin;
        _runAs = runAs;
        _root = root;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Superuser connection to the <c>postgres</c> database (no pooling, so a stop leaves no stale connections behind).</summary>
    public string AdminConnectionString => ConnectionString("postgres");

    private string DataDirectory => Path.Combine(_root, "data");

    private string LogFile => Path.Combine(_root, "server.log");

    /// <summary>Connection string for <paramref name="database"/> on this server.</summary>
    public string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = SuperUser, Database = database, Pooling = false }.ConnectionString;

    /// <summary><c>postgres://</c> URL of <paramref name="database"/>, the form DATABASE_URL takes.</summary>
    public string Url(string database) => $"postgres://{SuperUser}@127.0.0.1:{Port}/{database}";

    public static async Task<PostgresServer> StartAsync()
    {
        string bin = FindBinaries();
        string? runAs = Environment.UserName == "root" || IsRoot() ? await EnsureServiceUserAsync() : null;
        // Under root the server user must reach the folder: /tmp is world-traversable, a root TMPDIR may not be.
        string baseDirectory = runAs is null ? Path.GetTempPath() : "/tmp";
        SweepAbandoned(baseDirectory);
        string root = Path.Combine(baseDirectory, "raven-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var server = new PostgresServer(bin, runAs, root, FreePort.Get());
        try
        {
            if (runAs is not null)
            {
                await RunAsync("chown", ["-R", $"{runAs}:", root]);
            }

            await server.RunToolAsync("initdb", ["-D", server.DataDirectory, "-U", SuperUser, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"]);
            await server.StartAgainAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the (stopped) server again on the same port and data.</summary>
    public async Task StartAgainAsync()
    {
        string options = $"-p {Port} -c listen_addresses=127.0.0.1 -k {_root} -c fsync=off -c synchronous_commit=off " +
                         "-c full_page_writes=off -c max_connections=200 -c shared_buffers=32MB -c max_wal_size=64MB -c min_wal_size=32MB";
        await RunToolAsync("pg_ctl", ["-D", DataDirectory, "-l", LogFile, "-o", options, "-w", "-t", "60", "start"]);
        Volatile.Write(ref _stopped, 0);
    }

    /// <summary>Stops the server now (fast shutdown: sessions are ended), as an outage would.</summary>
    public async Task StopAsync()
    {
        await RunToolAsync("pg_ctl", ["-D", DataDirectory, "-m", "fast", "-w", "-t", "60", "stop"]);
        Volatile.Write(ref _stopped, 1);
    }

    /// <summary>A new empty database; returns its name.</summary>
    public async Task<string> CreateDatabaseAsync(string? prefix = null)
    {
        string name = (prefix ?? "t") + "_" + Guid.NewGuid().ToString("N")[..16];
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return name;
    }

    /// <summary>The server's log, for failure messages.</summary>
    public string ReadLog() => File.Exists(LogFile) ? File.ReadAllText(LogFile) : "(no log)";

    /// <summary>
    /// For a process-exit hook: stops the server and deletes its folder from a separate shell, which finishes even when
    /// the test host is ended right after its exit hooks started (seen with vstest); waits for it a few seconds.
    /// </summary>
    public void StopOnProcessExit()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1 && !File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            DeleteFolder(_root);
            return;
        }

        string pgCtl = Path.Combine(_bin, "pg_ctl");
        string stop = $"'{pgCtl}' -D '{DataDirectory}' -m fast -w -t 30 stop";
        string script = (_runAs is null ? stop : $"runuser -u {_runAs} -- {stop}") + $" >/dev/null 2>&1; rm -rf '{_root}'";
        // setsid: its own session, so a test host that ends its process tree does not cut the removal short.
        using Process? shell = Process.Start(new ProcessStartInfo("setsid", ["sh", "-c", script]) { UseShellExecute = false, WorkingDirectory = "/" });
        shell?.WaitForExit(TimeSpan.FromSeconds(10));
    }

    public async ValueTask DisposeAsync()
    {
        await StopForDisposeAsync();
        DeleteFolder(_root);
    }

    private async Task StopForDisposeAsync()
    {
        if (Volatile.Read(ref _stopped) == 0 && File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            try
            {
                await RunToolAsync("pg_ctl", ["-D", DataDirectory, "-m", "fast", "-w", "-t", "30", "stop"]);
            }
            catch (InvalidOperationException)
            {
                // Already stopped; nothing to clean up but the folder.
            }
        }

        Volatile.Write(ref _stopped, 1);
    }

    private static void DeleteFolder(string folder)
    {
        for (int attempt = 0; attempt < 5 && Directory.Exists(folder); attempt++)
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The server may still be removing its last files.
                Thread.Sleep(100);
            }
        }
    }

    /// <summary>Folders of servers whose test process died before cleaning up (no running server, over an hour old).</summary>
    private static void SweepAbandoned(string baseDirectory)
    {
        try
        {
            foreach (string folder in Directory.GetDirectories(baseDirectory, "raven-pg-*"))
            {
                if (!File.Exists(Path.Combine(folder, "data", "postmaster.pid"))
                    && Directory.GetLastWriteTimeUtc(folder) < DateTime.UtcNow.AddHours(-1))
                {
                    DeleteFolder(folder);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static string FindBinaries()
    {
        string? configured = Environment.GetEnvironmentVariable("RAVEN_PG_BIN");
        var candidates = new List<string>();
        if (!string.IsNullOrEmpty(configured))
        {
            candidates.Add(configured);
        }

        if (Directory.Exists("/usr/lib/postgresql"))
        {
            // Newest installed major version first.
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out int v) ? v : 0)
                .Select(d => Path.Combine(d, "bin")));
        }

        foreach (string candidate in candidates)
        {
            if (File.Exists(Path.Combine(candidate, "initdb")) && File.Exists(Path.Combine(candidate, "pg_ctl")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            "PostgreSQL server binaries (initdb, pg_ctl) were not found under /usr/lib/postgresql/<version>/bin or RAVEN_PG_BIN. " +
            "Install them (Debian: apt-get install postgresql) — these tests need a real PostgreSQL server and do not skip.");
    }

    private static bool IsRoot()
    {
        try
        {
            return File.ReadAllLines("/proc/self/status").Any(l => l.StartsWith("Uid:", StringComparison.Ordinal) && l.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == "0");
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>The non-root user the server runs as: <c>postgres</c> when the package created it, else our own system user.</summary>
    private static async Task<string> EnsureServiceUserAsync()
    {
        foreach (string user in new[] { "postgres", "raven-postgres" })
        {
            if (await UserExistsAsync(user))
            {
                return user;
            }
        }

        (int exitCode, string output) = await TryRunAsync(
            "useradd", ["--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", "raven-postgres"]);
        // A failure is fine when another test process created the user at the same moment.
        if (exitCode != 0 && !await UserExistsAsync("raven-postgres"))
        {
            throw new InvalidOperationException($"PostgreSQL refuses to run as root and no service user could be created (useradd: {output}).");
        }

        return "raven-postgres";
    }

    private static async Task<bool> UserExistsAsync(string user)
    {
        (int exitCode, _) = await TryRunAsync("id", ["-u", user]);
        return exitCode == 0;
    }

    private Task RunToolAsync(string tool, IReadOnlyList<string> arguments)
    {
        string path = Path.Combine(_bin, tool);
        return _runAs is null ? RunAsync(path, arguments) : RunAsync("runuser", ["-u", _runAs, "--", path, .. arguments]);
    }

    private static async Task RunAsync(string fileName, IReadOnlyList<string> arguments)
    {
        (int exitCode, string output) = await TryRunAsync(fileName, arguments);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"{fileName} {string.Join(' ', arguments)} exited with {exitCode}:\n{output}");
        }
    }

    private static async Task<(int ExitCode, string Output)> TryRunAsync(string fileName, IReadOnlyList<string> arguments)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // Outside the repository and readable by the server user.
            WorkingDirectory = "/",
        };
        foreach (string argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(CommandTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{fileName} {string.Join(' ', arguments)} did not finish within {CommandTimeout.TotalSeconds} s.");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
