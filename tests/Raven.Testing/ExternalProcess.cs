using System.Diagnostics;
using System.Text;

namespace Raven.Testing;

/// <summary>
/// A child process started by a test fixture (a Redis or PostgreSQL server, a Node script), with its output
/// captured for failure messages. Dispose kills it and all its children, by PID.
/// </summary>
public sealed class ExternalProcess : IAsyncDisposable
{
    private const int MaxOutputLines = 400;

    private readonly Process _process;
    private readonly Queue<string> _output = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Signal)> _waiters = [];
    private readonly Lock _lock = new();

    private ExternalProcess(Process process, string description)
    {
        _process = process;
        Description = description;
    }

    public int Pid => _process.Id;

    /// <summary>The command line, for messages.</summary>
    public string Description { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>Starts <paramref name="fileName"/> with stdout and stderr captured; stdin is redirected and left open.</summary>
    public static ExternalProcess Start(
        string fileName,
        IEnumerable<string> arguments,
        string? workingDirectory = null,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Directory.GetCurrentDirectory(),
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                psi.Environment[key] = value;
            }
        }

        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var result = new ExternalProcess(process, $"{fileName} {string.Join(' ', psi.ArgumentList)}");
        process.OutputDataReceived += (_, e) => result.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => result.OnLine(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {result.Description}.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return result;
    }

    /// <summary>The last lines of stdout and stderr, interleaved.</summary>
    public string RecentOutput
    {
        get
        {
            lock (_lock)
            {
                return string.Join('\n', _output);
            }
        }
    }

    /// <summary>Waits until a line of output satisfies <paramref name="match"/> (lines already seen count). Returns that line.</summary>
    public async Task<string> WaitForOutputAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var signal = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            var seen = _output.FirstOrDefault(match);
            if (seen is not null)
            {
                return seen;
            }

            _waiters.Add((match, signal));
        }

        var exited = _process.WaitForExitAsync();
        var done = await Task.WhenAny(signal.Task, exited, Task.Delay(timeout)).ConfigureAwait(false);
        if (done == signal.Task)
        {
            return await signal.Task.ConfigureAwait(false);
        }

        lock (_lock)
        {
            _waiters.RemoveAll(w => w.Signal == signal);
        }

        var why = done == exited ? $"exited with code {_process.ExitCode}" : $"printed no matching line within {timeout}";
        throw new TimeoutException($"{Description} (pid {Pid}) {why}. Output:\n{RecentOutput}");
    }

    /// <summary>Kills the process and its children, then waits for it to exit. Safe to call more than once.</summary>
    public async Task StopAsync()
    {
        KillTree(_process);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Leave it; a zombie must not fail the test run.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _process.Dispose();
    }

    /// <summary>Kills a process (and its children) by PID if it still runs.</summary>
    public static void KillByPid(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            KillTree(process);
        }
        catch (ArgumentException)
        {
            // Already gone.
        }
    }

    internal static void KillTree(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill.
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Exiting; nothing left to kill.
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        List<TaskCompletionSource<string>>? matched = null;
        lock (_lock)
        {
            _output.Enqueue(line);
            while (_output.Count > MaxOutputLines)
            {
                _output.Dequeue();
            }

            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(line))
                {
                    (matched ??= []).Add(_waiters[i].Signal);
                    _waiters.RemoveAt(i);
                }
            }
        }

        matched?.ForEach(s => s.TrySetResult(line));
    }
}
