namespace Raven.Server;

/// <summary>
/// The server's configuration is invalid. Each entry of <see cref="Errors"/> is one line naming the setting and
/// how to fix it; <c>Program</c> prints them to stderr and exits with code 2, without a stack trace.
/// </summary>
public sealed class RavenConfigurationException : InvalidOperationException
{
    /// <summary>Creates the exception from one or more problems (one line each, naming the setting).</summary>
    public RavenConfigurationException(IReadOnlyList<string> errors)
        : base(errors.Count == 1
            ? "Invalid Raven configuration: " + errors[0]
            : "Invalid Raven configuration:" + string.Concat(errors.Select(e => Environment.NewLine + " - " + e)))
    {
        Errors = errors;
    }

    /// <summary>Creates the exception from one problem, keeping the cause for diagnostics.</summary>
    public RavenConfigurationException(string error, Exception? innerException = null)
        : base("Invalid Raven configuration: " + error, innerException)
    {
        Errors = [error];
    }

    /// <summary>The problems, one line each.</summary>
    public IReadOnlyList<string> Errors { get; }

    /// <summary>The exit code for a configuration error (like sysexits' EX_USAGE family: "you asked for something wrong").</summary>
    public const int ExitCode = 2;
}
