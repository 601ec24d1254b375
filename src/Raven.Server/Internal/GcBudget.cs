using System.Reflection;
using System.Runtime.InteropServices;

namespace Raven.Server.Internal;

/// <summary>
/// Starts the server with a small, cache-sized GC gen0 budget. Workstation GC sizes gen0 from the largest CPU cache:
/// on a host with a 260 MiB L3 that is ~100 MiB of garbage between collections, which shows up as ~25 KiB of extra
/// RSS per connection while clients connect and as page-fault-heavy allocation under load (bench/README.md, "GC").
/// The runtime reads that budget only from the environment (<c>DOTNET_GCgen0size</c>; it has no runtimeconfig.json
/// name), so when it is not set Raven re-executes itself once, in place (same PID, same arguments), with it set.
/// <c>RAVEN_GC_GEN0_SIZE</c> (bytes, hex as <c>0x…</c> or decimal) changes the value; <c>0</c> keeps the runtime's own.
/// </summary>
internal static partial class GcBudget
{
    public const string SettingName = "RAVEN_GC_GEN0_SIZE";
    private const string RuntimeVariable = "DOTNET_GCgen0size";
    private const long DefaultBytes = 4 * 1024 * 1024;

    /// <summary>Replaces the process with one that has the gen0 budget set; returns only when that is not needed or not possible.</summary>
    public static void EnsureApplied()
    {
        if (!OperatingSystem.IsLinux()
            || Assembly.GetEntryAssembly() != typeof(GcBudget).Assembly // hosted by a test runner: not our process to replace
            || Environment.GetEnvironmentVariable(RuntimeVariable) is { Length: > 0 }
            || Environment.GetEnvironmentVariable("COMPlus_GCgen0size") is { Length: > 0 }
            || Environment.ProcessPath is not { } executable)
        {
            return;
        }

        var bytes = ParseBytes(Environment.GetEnvironmentVariable(SettingName));
        if (bytes <= 0)
        {
            return;
        }

        string[] arguments;
        try
        {
            // The original argv (e.g. "dotnet Raven.Server.dll --urls …"), which Environment.GetCommandLineArgs() rewrites.
            arguments = File.ReadAllText("/proc/self/cmdline").TrimEnd('\0').Split('\0');
        }
        catch (IOException)
        {
            return;
        }

        var environment = Environment.GetEnvironmentVariables()
            .Cast<System.Collections.DictionaryEntry>()
            .Select(e => $"{e.Key}={e.Value}")
            .Append($"{RuntimeVariable}=0x{bytes:X}")
            .ToArray();

        ReleaseDiagnosticsEndpoint();
        Exec(executable, arguments, environment);
        // Still here: execve failed (e.g. a sandbox forbids it); run on with the runtime's default budget.
    }

    // The runtime's diagnostics IPC endpoint (dotnet-counters, dotnet-trace, dotnet-gcdump) is a Unix socket named
    // after the PID and the process start time, both of which execve keeps. The replacement runtime cannot bind that
    // name while this runtime's socket file exists, and the tools would find a dead socket: remove it first.
    private static void ReleaseDiagnosticsEndpoint()
    {
        try
        {
            foreach (var file in Directory.EnumerateFiles(Path.GetTempPath(), $"dotnet-diagnostic-{Environment.ProcessId}-*-socket"))
            {
                File.Delete(file);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Only the diagnostics tools lose: the server itself runs on.
        }
    }

    internal static long ParseBytes(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return DefaultBytes;
        }

        value = value.Trim();
        var parsed = value.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? long.TryParse(value.AsSpan(2), System.Globalization.NumberStyles.HexNumber, null, out var hex) ? hex : -1
            : long.TryParse(value, out var dec) ? dec : -1;
        if (parsed < 0)
        {
            throw new RavenConfigurationException([$"{SettingName} must be a byte count (decimal or 0x hex), or 0 for the runtime's default; got '{value}'"]);
        }

        return parsed;
    }

    private static void Exec(string path, string[] arguments, string[] environment)
    {
        var argv = ToNative(arguments);
        var envp = ToNative(environment);
        try
        {
            _ = execve(path, argv, envp);
        }
        finally
        {
            Free(argv);
            Free(envp);
        }
    }

    private static nint[] ToNative(string[] values)
    {
        var native = new nint[values.Length + 1]; // NULL-terminated, as execve expects
        for (var i = 0; i < values.Length; i++)
        {
            native[i] = Marshal.StringToCoTaskMemUTF8(values[i]);
        }

        return native;
    }

    private static void Free(nint[] native)
    {
        foreach (var pointer in native)
        {
            Marshal.FreeCoTaskMem(pointer);
        }
    }

    [LibraryImport("libc", EntryPoint = "execve", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int execve(string path, nint[] argv, nint[] envp);
}
