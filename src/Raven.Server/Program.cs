using Raven.Server;

RavenServerHost.Build(args).Run();

/// <summary>Entry point (public so functional tests can reference the assembly's host).</summary>
public partial class Program;
