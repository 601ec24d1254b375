namespace Raven.Server;

/// <summary>
/// The configuration is invalid. <c>Program</c> prints <see cref="Exception.Message"/> (one line per problem, no
/// stack trace) to stderr and exits with code 2.
/// </summary>
public sealed class RavenConfigurationException : InvalidOperationException
{
    /// <summary>The exit code of a process that refused to start because of its configuration.</summary>
    public const int ExitCode = 2;

    /// <summary>Creates the exception from every problem found (each names its configuration key).</summary>
    public RavenConfigurationException(IReadOnlyList<string> errors)
        : base(errors.Count == 1
            ? "Invalid Raven configuration: " + errors[0]
            : "Invalid Raven configuration:" + string.Concat(errors.Select(e => Environment.NewLine + " - " + e)))
    {
        Errors = errors;
    }

    /// <summary>The problems, one message each.</summary>
    public IReadOnlyList<string> Errors { get; }
}
