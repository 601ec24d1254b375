using System.Net;
using Raven.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Raven.Testing;

namespace Raven.Server.Tests;

public sealed class ConfigurationTests
{
    private static string TempDir() => Path.Combine(Path.GetTempPath(), "raven-rest-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public void Production_without_JWT_SECRET_fails_with_a_clear_message()
    {
        var ex = Assert.Throws<RavenConfigurationException>(() => RavenServerHost.Build(["--environment=Production", $"--DATA_DIR={TempDir()}"]));
        Assert.Contains("JWT_SECRET is required", ex.Message);
    }

    [Fact]
    public void Unsupported_or_invalid_settings_fail_start_up_listing_every_problem()
    {
        var ex = Assert.Throws<RavenConfigurationException>(() => RavenServerHost.Build(
        [
            "--environment=Production", "--JWT_SECRET=s3cr3t-value-never-shown", $"--DATA_DIR={TempDir()}",
            "--DATABASE_URL=mysql://raven:hunter2@localhost/raven", "--CORS_ORIGIN=*", "--ACCESS_TOKEN_MINUTES=0",
        ]));
        var both = Assert.Throws<RavenConfigurationException>(() => RavenServerHost.Build(
            ["--environment=Production", $"--DATA_DIR={TempDir()}", "--MAX_MESSAGE_LENGTH=0"]));
        Assert.Contains("JWT_SECRET is required", both.Message);
        Assert.Contains("MAX_MESSAGE_LENGTH", both.Message);
        Assert.Contains("DATABASE_URL", ex.Message);
        Assert.Contains("postgres://", ex.Message);
        Assert.DoesNotContain("hunter2", ex.Message, StringComparison.Ordinal);
        Assert.Contains("CORS_ORIGIN", ex.Message);
        Assert.Contains("ACCESS_TOKEN_MINUTES", ex.Message);
        Assert.DoesNotContain("s3cr3t", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public void A_weak_JWT_SECRET_is_refused_outside_Development(string environment)
    {
        var ex = Assert.Throws<RavenConfigurationException>(() => RavenServerHost.Build(
            [$"--environment={environment}", "--JWT_SECRET=dev", $"--DATA_DIR={TempDir()}"]));
        Assert.Contains("JWT_SECRET is shorter than 32 bytes", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
        Assert.DoesNotContain("=dev", ex.Message, StringComparison.Ordinal);

        var previous = Assert.Throws<RavenConfigurationException>(() => RavenServerHost.Build(
            [$"--environment={environment}", $"--JWT_SECRET={RavenTestServer.JwtSecret}", "--JWT_PREVIOUS_SECRETS=old", $"--DATA_DIR={TempDir()}"]));
        Assert.Contains("JWT_PREVIOUS_SECRETS", previous.Message);

        var iterations = Assert.Throws<RavenConfigurationException>(() => RavenServerHost.Build(
            [$"--environment={environment}", $"--JWT_SECRET={RavenTestServer.JwtSecret}", "--PASSWORD_HASH_ITERATIONS=1000", $"--DATA_DIR={TempDir()}"]));
        Assert.Contains("PASSWORD_HASH_ITERATIONS must be at least 10000", iterations.Message);
    }

    [Fact]
    public async Task The_server_process_exits_with_code_2_and_one_line_for_a_weak_secret_in_Production()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Raven.Server.dll");
        var start = new System.Diagnostics.ProcessStartInfo("dotnet", [dll, "--urls=http://127.0.0.1:0"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["JWT_SECRET"] = "dev";
        start.Environment["DATA_DIR"] = TempDir();
        using var process = System.Diagnostics.Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        Assert.Equal(2, process.ExitCode);
        var lines = (await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = Assert.Single(lines);
        Assert.StartsWith("raven: configuration error: JWT_SECRET is shorter than 32 bytes", line);
        Assert.DoesNotContain(" at ", await stdout + line, StringComparison.Ordinal);
    }

    [Fact]
    public void Security_defaults_keep_load_tests_and_the_original_client_working()
    {
        var options = new RavenServerOptions();
        Assert.Empty(options.Validate());
        // Load tests send up to 10 events per second and socket; the default sustains well over 20.
        Assert.True(options.SocketEventsPerSecond >= 20);
        Assert.Equal(50, options.MaxSocketsPerUser);
        Assert.Equal(10_000, options.MaxGroupMembers);
        Assert.False(options.AuthRateLimitLoopback);
        Assert.Equal(ContactPolicy.Anyone, options.DirectMessagePolicy);
        Assert.Equal(UserSearchMode.Contains, options.SearchMode);
        Assert.True(options.PasswordHashIterations >= RavenServerOptions.MinimumPasswordHashIterations);
    }

    [Fact]
    public async Task Development_generates_a_secret_once_and_keeps_it_under_DATA_DIR()
    {
        var dir = TempDir();
        try
        {
            await using (var first = RavenServerHost.Build(["--environment=Development", $"--DATA_DIR={dir}", "--Logging:LogLevel:Default=Warning"]))
            {
            }

            var secretFile = Path.Combine(dir, "jwt-secret");
            var secret = await File.ReadAllTextAsync(secretFile);
            Assert.True(secret.Length >= 32);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(secretFile));
            }

            await using (var second = RavenServerHost.Build(["--environment=Development", $"--DATA_DIR={dir}", "--Logging:LogLevel:Default=Warning"]))
            {
            }

            Assert.Equal(secret, await File.ReadAllTextAsync(secretFile));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task PORT_is_used_when_no_urls_are_given_and_tokens_of_the_same_secret_carry_over_restarts()
    {
        var dir = TempDir();
        var port = FreePort.Get();
        string[] args = ["--environment=Testing", $"--DATA_DIR={dir}", $"--JWT_SECRET={RavenTestServer.JwtSecret}", $"--PORT={port}", "--PASSWORD_HASH_ITERATIONS=10000", "--Logging:LogLevel:Default=Warning"];
        try
        {
            string token;
            var first = RavenServerHost.Build(args);
            try
            {
                await first.StartAsync();
                using var client = new ApiClient($"http://127.0.0.1:{port}");
                Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).Status);
                var email = $"restart{Random.Shared.Next(100000, 999999)}@example.com";
                Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/v1/auth/signup", new { username = "restart" + Random.Shared.Next(100000), email, password = "Passw0rd!" })).Status);
                Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/api/v1/auth/signin", new { email, password = "Passw0rd!" })).Status);
                token = client.CookieValue("accessToken")!;
                Assert.False(string.IsNullOrEmpty(token));
            }
            finally
            {
                await first.StopAsync();
                await first.DisposeAsync();
            }

            // A new host over the same DATA_DIR and secret (a restart): the old access token still authenticates.
            var second = RavenServerHost.Build(args);
            try
            {
                await second.StartAsync();
                using var bearer = new ApiClient($"http://127.0.0.1:{port}", useCookies: false) { Bearer = token };
                var me = await bearer.GetAsync("/api/v1/auth/me");
                Assert.True(me.Status == HttpStatusCode.OK, me.Body.ToString());

                // Another secret does not accept it: the carry-over is the secret's doing, not a lax validator.
                await second.StopAsync();
                await second.DisposeAsync();
                second = RavenServerHost.Build([.. args.Select(a => a.StartsWith("--JWT_SECRET=", StringComparison.Ordinal) ? "--JWT_SECRET=" + new string('q', 48) : a)]);
                await second.StartAsync();
                Assert.Equal(HttpStatusCode.Unauthorized, (await bearer.GetAsync("/api/v1/auth/me")).Status);
            }
            finally
            {
                await second.StopAsync();
                await second.DisposeAsync();
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Urls_override_PORT_and_flat_keys_bind_into_the_options()
    {
        var dir = TempDir();
        var urlsPort = FreePort.Get();
        var app = RavenServerHost.Build(
        [
            "--environment=Testing", $"--DATA_DIR={dir}", $"--JWT_SECRET={RavenTestServer.JwtSecret}", "--PASSWORD_HASH_ITERATIONS=10000", "--PORT=1", $"--urls=http://127.0.0.1:{urlsPort}",
            "--MESSAGE_SCOPE=room", "--CORS_ORIGIN=http://127.0.0.1:3001,http://localhost:3001", "--ACCESS_TOKEN_MINUTES=15",
            "--Logging:LogLevel:Default=Warning",
        ]);
        try
        {
            var options = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<RavenServerOptions>>().Value;
            Assert.Equal(MessageScope.Room, options.MessageScope);
            Assert.Equal(["http://127.0.0.1:3001", "http://localhost:3001"], options.CorsOrigins);
            Assert.Equal(TimeSpan.FromMinutes(15), options.AccessTokenLifetime);
            Assert.Equal(Path.GetFullPath(dir), options.DataDirectory);

            await app.StartAsync();
            using var client = new ApiClient($"http://127.0.0.1:{urlsPort}");
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).Status);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            Directory.Delete(dir, recursive: true);
        }
    }
}
