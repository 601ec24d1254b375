using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Raven.Testing;

namespace Raven.Server.Tests.Infrastructure;

/// <summary>
/// The built server (Raven.Server.dll) as its own OS process, as an operator runs it: exit codes, stderr and
/// signals are real. Dispose kills it (by PID) if it still runs.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServerProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public string BaseUrl => $"http://127.0.0.1:{Port}";

    public int Pid => _process.Id;

    /// <summary>Whether the server process has ended (crashed, exited or was killed).</summary>
    public bool HasExited => _process.HasExited;

    public string Stdout { get { lock (_stdout) { return _stdout.ToString(); } } }

    public string Stderr { get { lock (_stderr) { return _stderr.ToString(); } } }

    /// <summary>Raven.Server.dll as built next to the tests' own output (artifacts/bin/Raven.Server/...).</summary>
    public static string ServerDll
    {
        get
        {
            var own = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var sibling = Path.Combine(own.Parent!.Parent!.FullName, "Raven.Server", own.Name, "Raven.Server.dll");
            return File.Exists(sibling) ? sibling : Path.Combine(AppContext.BaseDirectory, "Raven.Server.dll");
        }
    }

    /// <summary>Starts the server on a free port with <paramref name="settings"/> as environment variables.</summary>
    public static ServerProcess Start(IReadOnlyDictionary<string, string> settings, int? port = null)
    {
        var chosen = port ?? FreePort.Get();
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        psi.ArgumentList.Add(ServerDll);
        psi.ArgumentList.Add($"--urls=http://127.0.0.1:{chosen}");
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        psi.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        psi.Environment["PASSWORD_HASH_ITERATIONS"] = "10000";
        foreach (var (key, value) in settings)
        {
            psi.Environment[key] = value;
        }

        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var result = new ServerProcess(process, chosen);
        process.OutputDataReceived += (_, e) => result.OnLine(result._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => result.OnLine(result._stderr, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return result;
    }

    /// <summary>Waits until Kestrel listens (the host printed "Application started").</summary>
    public async Task WaitUntilListeningAsync(TimeSpan? timeout = null)
    {
        var done = await Task.WhenAny(_listening.Task, _process.WaitForExitAsync(), Task.Delay(timeout ?? TimeSpan.FromSeconds(60)));
        if (done != _listening.Task)
        {
            throw new TimeoutException($"Server pid {Pid} did not start (exited: {_process.HasExited}).\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        }
    }

    /// <summary>Sends SIGTERM, as a container runtime or systemd does to stop a service.</summary>
    public void Terminate()
    {
        if (kill(_process.Id, 15) != 0)
        {
            throw new InvalidOperationException($"kill(SIGTERM) failed for pid {Pid}: errno {Marshal.GetLastWin32Error()}");
        }
    }

    /// <summary>Waits for the process to exit and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"Server pid {Pid} did not exit within {timeout}.\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        }

        _process.WaitForExit(); // flushes the redirected output
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
    }

    private void OnLine(StringBuilder sink, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (sink)
        {
            sink.AppendLine(line);
        }

        if (line.Contains("Application started", StringComparison.Ordinal))
        {
            _listening.TrySetResult();
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
