using Microsoft.Extensions.Options;

namespace Raven.EngineIO;

/// <summary>Validates <see cref="EngineIOOptions"/>; registered by <c>AddEngineIO()</c> and used by <c>MapEngineIO</c>.</summary>
public sealed class EngineIOOptionsValidator : IValidateOptions<EngineIOOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, EngineIOOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.PingInterval <= TimeSpan.Zero || options.PingTimeout <= TimeSpan.Zero || options.UpgradeTimeout <= TimeSpan.Zero)
        {
            failures.Add("PingInterval, PingTimeout and UpgradeTimeout must be positive.");
        }

        if (options.MaxHttpBufferSize <= 0 || options.MaxQueuedMessages <= 0)
        {
            failures.Add("MaxHttpBufferSize and MaxQueuedMessages must be positive.");
        }

        if (options.Transports == EngineTransports.None)
        {
            failures.Add("At least one transport must be enabled.");
        }

        var limits = options.Limits;
        if (limits.MaxSessions < 0 || limits.MaxPendingSessions < 0 || limits.MaxSessionsPerAddress < 0
            || limits.HandshakesPerSecondPerAddress < 0 || limits.HandshakeBurstPerAddress < 0)
        {
            failures.Add("Session limits must be zero (no limit) or positive.");
        }

        if (limits.PendingTimeout <= TimeSpan.Zero)
        {
            failures.Add("Limits.PendingTimeout must be positive.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
