using Raven.Server.Tests.Infrastructure;

namespace Raven.Server.Tests;

/// <summary>
/// The built server started as an operator starts it, with one bad setting each: it must print one line naming the
/// setting and the fix to stderr, exit with code 2, and show no stack trace (and not abort, which would be 134).
/// </summary>
public sealed class ConfigurationErrorProcessTests
{
    public static TheoryData<string, string, string> BadSettings() => new()
    {
        { "PORT", "abc", "PORT is not a valid whole number; fix or unset PORT." },
        { "RAVEN_GC_GEN0_SIZE", "lots", "RAVEN_GC_GEN0_SIZE must be a byte count (decimal or 0x hex), or 0 for the runtime's default; got 'lots'" },
        { "ACCESS_TOKEN_MINUTES", "0", "ACCESS_TOKEN_MINUTES must be between 1 and 43200." },
        { "SHUTDOWN_TIMEOUT_SECONDS", "0", "SHUTDOWN_TIMEOUT_SECONDS is 0; set it between 1 and 3600" },
        { "CORS_ORIGIN", "*", "CORS_ORIGIN entry '*' must be an exact origin" },
        { "METRICS_ENABLED", "maybe", "METRICS_ENABLED is not a valid boolean (true or false); fix or unset METRICS_ENABLED." },
        { "MESSAGE_SCOPE", "everyone", "MESSAGE_SCOPE is not a valid MESSAGE_SCOPE (room or participants)" },
        { "DATABASE_URL", "mysql://localhost/raven", "DATABASE_URL" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task A_bad_setting_prints_one_line_naming_it_and_exits_2(string key, string value, string expected)
    {
        var dataDirectory = NewDataDirectory();
        await using var server = ServerProcess.Start(new Dictionary<string, string>
        {
            ["DATA_DIR"] = dataDirectory,
            ["JWT_SECRET"] = RavenTestServer.JwtSecret,
            [key] = value,
        });
        var exitCode = await server.WaitForExitAsync(TimeSpan.FromSeconds(60));
        AssertConfigurationError(server, exitCode, expected);
    }

    [Fact]
    public async Task Production_without_JWT_SECRET_exits_2_with_the_fix()
    {
        await using var server = ServerProcess.Start(new Dictionary<string, string>
        {
            ["DATA_DIR"] = NewDataDirectory(),
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
        });
        var exitCode = await server.WaitForExitAsync(TimeSpan.FromSeconds(60));
        AssertConfigurationError(server, exitCode, "JWT_SECRET is required in the 'Production' environment (set it to a long random string");
    }

    [Fact]
    public async Task A_DATA_DIR_that_cannot_be_created_exits_2_naming_DATA_DIR()
    {
        // A regular file where the folder should be: no user (root included) can create a directory there.
        var file = Path.Combine(Path.GetTempPath(), "raven-rest-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await File.WriteAllTextAsync(file, "not a folder");
        try
        {
            await using var server = ServerProcess.Start(new Dictionary<string, string>
            {
                ["DATA_DIR"] = Path.Combine(file, "data"),
                ["JWT_SECRET"] = RavenTestServer.JwtSecret,
            });
            var exitCode = await server.WaitForExitAsync(TimeSpan.FromSeconds(60));
            AssertConfigurationError(server, exitCode, $"DATA_DIR '{Path.Combine(file, "data")}' is not writable");
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static void AssertConfigurationError(ServerProcess server, int exitCode, string expected)
    {
        var output = $"stdout:\n{server.Stdout}\nstderr:\n{server.Stderr}";
        Assert.True(exitCode == 2, $"exit code {exitCode}\n{output}");
        var lines = server.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = Assert.Single(lines);
        Assert.StartsWith("raven: configuration error: ", line);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", server.Stderr + server.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", server.Stderr + server.Stdout, StringComparison.Ordinal);
    }

    internal static string NewDataDirectory() => Path.Combine(Path.GetTempPath(), "raven-rest-tests", Guid.NewGuid().ToString("N"));
}
