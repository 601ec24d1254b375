using System.Net;
using System.Text.Json;
using Raven.Server.Tests.Infrastructure;
using Raven.Testing;
using Xunit.Abstractions;

namespace Raven.Server.Tests.Hostile;

/// <summary>
/// The built Raven.Server.dll as its own process in the Production environment (strong JWT secret, the lowest
/// PBKDF2 iteration count Production accepts, a temporary DATA_DIR), with its resident memory read from
/// /proc/&lt;pid&gt;/status, for tests that attack it the way a hostile client would.
/// </summary>
internal sealed class HostileServer : IAsyncDisposable
{
    private readonly string _dataDirectory;

    private HostileServer(ServerProcess process, string dataDirectory)
    {
        Process = process;
        _dataDirectory = dataDirectory;
    }

    public ServerProcess Process { get; }

    public string BaseUrl => Process.BaseUrl;

    public static async Task<HostileServer> StartAsync(IReadOnlyDictionary<string, string>? extra = null)
    {
        var dataDirectory = ConfigurationErrorProcessTests.NewDataDirectory();
        var settings = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DATA_DIR"] = dataDirectory,
            ["JWT_SECRET"] = "hostile-client-test-secret-of-forty-bytes!",
            // Workstation GC: collections follow allocation closely, so RSS after an attack shows what the server
            // still holds rather than how large the server GC chose to let its heaps grow (no test-only GC hook exists).
            ["DOTNET_gcServer"] = "0",
            ["PASSWORD_HASH_ITERATIONS"] = RavenServerOptions.MinimumPasswordHashIterations.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }

        var process = ServerProcess.Start(settings);
        try
        {
            await process.WaitUntilListeningAsync();
            return new HostileServer(process, dataDirectory);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>VmRSS of the server process, in bytes.</summary>
    public long ResidentBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{Process.Pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                var kib = long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
                return kib * 1024;
            }
        }

        throw new InvalidOperationException($"/proc/{Process.Pid}/status has no VmRSS line.");
    }

    /// <summary>Fails with the server's output when the process is gone.</summary>
    public void AssertAlive(string context)
    {
        Assert.False(Process.HasExited, $"The server process died ({context}).\nstdout:\n{Process.Stdout}\nstderr:\n{Process.Stderr}");
    }

    /// <summary>Signs a new user up and in; returns the cookie client, its access token and its id.</summary>
    public async Task<(ApiClient Client, string Token, string Id)> SignUpAsync(string prefix)
    {
        var username = $"{prefix}{Random.Shared.Next(100000, 999999)}";
        var email = $"{username}@example.com";
        var client = new ApiClient(BaseUrl);
        var signup = await client.PostAsync("/api/v1/auth/signup", new { username, email, password = "Passw0rd!" });
        Assert.True(signup.Status == HttpStatusCode.Created, signup.Body.ToString());
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/api/v1/auth/signin", new { email, password = "Passw0rd!" })).Status);
        return (client, client.CookieValue("accessToken")!, signup.Data.GetProperty("id").GetString()!);
    }

    /// <summary>A group of <paramref name="owner"/> and <paramref name="memberIds"/>; returns its id.</summary>
    public static async Task<string> GroupAsync(ApiClient owner, params string[] memberIds)
    {
        var response = await owner.PostAsync("/api/v1/conversations", new { name = "hostile", type = "group", userIds = memberIds });
        Assert.True(response.Status == HttpStatusCode.Created, response.Body.ToString());
        return response.Data.GetProperty("id").GetString()!;
    }

    /// <summary>Polls VmRSS until it is at most <paramref name="bound"/> or <paramref name="settle"/> has passed; returns the last value.</summary>
    public async Task<long> WaitForResidentAtMostAsync(long bound, TimeSpan settle)
    {
        var until = DateTime.UtcNow + settle;
        long rss;
        while ((rss = ResidentBytes()) > bound && DateTime.UtcNow < until)
        {
            await Task.Delay(500);
        }

        return rss;
    }

    public async ValueTask DisposeAsync()
    {
        await Process.DisposeAsync();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}

/// <summary>The random seed of a hostile test: <c>RAVEN_FUZZ_SEED</c> to replay one, otherwise a fresh one, printed.</summary>
internal static class FuzzSeed
{
    public static int Choose(ITestOutputHelper output)
    {
        var text = Environment.GetEnvironmentVariable("RAVEN_FUZZ_SEED");
        var seed = int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var fixedSeed) ? fixedSeed : Random.Shared.Next();
        output.WriteLine($"RAVEN_FUZZ_SEED={seed} (set it to replay this run)");
        return seed;
    }
}

internal static class Mib
{
    public static string Of(long bytes) => $"{bytes / (1024.0 * 1024):0.0} MiB";

    public const long Bytes = 1024 * 1024;
}

/// <summary>JSON helpers for raw frames.</summary>
internal static class Json
{
    public static string Quote(string value) => JsonSerializer.Serialize(value);
}
