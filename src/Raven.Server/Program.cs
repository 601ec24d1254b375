using Microsoft.Extensions.Options;
using Raven.Server;
using Raven.Server.Internal;

// A bad setting is the operator's mistake, not a crash: one line per problem on stderr, exit code 2, no stack trace.
try
{
    GcBudget.EnsureApplied();
    RavenServerHost.Build(args).Run();
    return 0;
}
catch (RavenConfigurationException ex)
{
    return ConfigurationErrors.Report(ex.Errors);
}
catch (OptionsValidationException ex)
{
    return ConfigurationErrors.Report(ex.Failures.Select(f => $"{ex.OptionsType.Name}: {f}").ToList());
}

/// <summary>Entry point (public so functional tests can reference the assembly's host).</summary>
public partial class Program;

internal static class ConfigurationErrors
{
    public static int Report(IReadOnlyList<string> errors)
    {
        foreach (var error in errors)
        {
            Console.Error.WriteLine($"raven: configuration error: {error}");
        }

        return RavenConfigurationException.ExitCode;
    }
}
