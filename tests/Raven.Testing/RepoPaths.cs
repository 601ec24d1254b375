using System.Reflection;

namespace Raven.Testing;

/// <summary>Locates the repository (the folder holding <c>Raven.slnx</c>) from a test run.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> s_root = new(FindRoot);

    /// <summary>The repository root. Honors <c>RAVEN_REPO_ROOT</c>, then walks up from the test binaries and the current directory.</summary>
    public static string Root => s_root.Value;

    /// <summary><c>tests/js</c>, the Node.js side of the test infrastructure.</summary>
    public static string JsDirectory => Path.Combine(Root, "tests", "js");

    private static string FindRoot()
    {
        var fromEnv = Environment.GetEnvironmentVariable("RAVEN_REPO_ROOT");
        if (!string.IsNullOrEmpty(fromEnv) && IsRoot(fromEnv))
        {
            return Path.GetFullPath(fromEnv);
        }

        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (IsRoot(dir.FullName))
                {
                    return dir.FullName;
                }
            }
        }

        // Binaries under RAVEN_ARTIFACTS (e.g. /tmp) have no repo above them; use the path recorded at build time.
        var recorded = typeof(RepoPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "RavenRepoRoot")?.Value;
        if (recorded is not null && IsRoot(recorded))
        {
            return recorded;
        }

        throw new InvalidOperationException(
            $"Cannot find Raven.slnx above '{AppContext.BaseDirectory}' or '{Directory.GetCurrentDirectory()}'; set RAVEN_REPO_ROOT.");
    }

    private static bool IsRoot(string dir) => File.Exists(Path.Combine(dir, "Raven.slnx"));
}
