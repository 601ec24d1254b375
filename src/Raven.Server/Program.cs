using Raven.Server;

try
{
    RavenServerHost.Build(args).Run();
}
catch (RavenConfigurationException ex)
{
    // A configuration mistake is the operator's to fix: say what is wrong, no stack trace.
    Console.Error.WriteLine(ex.Message);
    return RavenConfigurationException.ExitCode;
}

return 0;

/// <summary>Entry point (public so functional tests can reference the assembly's host).</summary>
public partial class Program;
