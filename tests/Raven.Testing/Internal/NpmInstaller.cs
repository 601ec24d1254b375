using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Raven.Testing.Internal;

/// <summary>
/// Runs <c>npm ci</c> once per folder (tests/js, tests/interop). Several test assemblies run in parallel processes, so the check and the
/// install happen under a cross-process lock file; whoever comes second sees a current install and skips.
/// </summary>
internal static class NpmInstaller
{
    private static readonly SemaphoreSlim s_inProcess = new(1, 1);
    private static readonly HashSet<string> s_done = new(StringComparer.Ordinal);

    public static async Task EnsureInstalledAsync(string jsDirectory, CancellationToken cancellationToken)
    {
        lock (s_done)
        {
            if (s_done.Contains(jsDirectory))
            {
                return;
            }
        }

        await s_inProcess.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (s_done)
            {
                if (s_done.Contains(jsDirectory))
                {
                    return;
                }
            }

            await using (await AcquireFileLockAsync(jsDirectory, cancellationToken).ConfigureAwait(false))
            {
                if (!IsCurrent(jsDirectory))
                {
                    await RunNpmCiAsync(jsDirectory, cancellationToken).ConfigureAwait(false);
                }
            }

            lock (s_done)
            {
                s_done.Add(jsDirectory);
            }
        }
        finally
        {
            s_inProcess.Release();
        }
    }

    /// <summary>npm ci writes node_modules/.package-lock.json last; if it is newer than the lock file, the install is current.</summary>
    internal static bool IsCurrent(string jsDirectory)
    {
        var lockFile = new FileInfo(Path.Combine(jsDirectory, "package-lock.json"));
        var hidden = new FileInfo(Path.Combine(jsDirectory, "node_modules", ".package-lock.json"));
        return lockFile.Exists
            && hidden.Exists
            && hidden.LastWriteTimeUtc >= lockFile.LastWriteTimeUtc
            && Directory.Exists(Path.Combine(jsDirectory, "node_modules"));
    }

    private static async Task<FileStream> AcquireFileLockAsync(string jsDirectory, CancellationToken cancellationToken)
    {
        // The lock lives in the temp folder, keyed by the checkout, so it never shows up in git status.
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(jsDirectory))))[..16];
        var path = Path.Combine(Path.GetTempPath(), $"raven-npm-ci-{key}.lock");
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static async Task RunNpmCiAsync(string jsDirectory, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo("npm")
        {
            WorkingDirectory = jsDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "ci", "--no-audit", "--no-fund", "--loglevel=error" })
        {
            psi.ArgumentList.Add(arg);
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException("Could not start npm.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            ExternalProcess.KillTree(process);
            throw new TimeoutException($"npm ci in {jsDirectory} did not finish in 5 minutes.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"npm ci in {jsDirectory} failed with exit code {process.ExitCode}:\n{await stdout.ConfigureAwait(false)}\n{await stderr.ConfigureAwait(false)}");
        }
    }
}
