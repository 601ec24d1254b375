using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Raven.Server.Tests.Infrastructure;
using Raven.Testing;

namespace Raven.Server.Tests;

/// <summary>
/// Metrics, graceful shutdown and restarts, against the built server as its own process (real SIGTERM, real exit
/// code, the same DATA_DIR reopened), driven by the official socket.io-client.
/// </summary>
public sealed partial class OperationsProcessTests : IAsyncLifetime
{
    private static readonly TimeSpan AckTimeout = TimeSpan.FromSeconds(10);
    private readonly string _dataDirectory = ConfigurationErrorProcessTests.NewDataDirectory();
    private NodeDriver _node = null!;

    public async Task InitializeAsync() => _node = await NodeDriver.StartAsync();

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    [Fact]
    public async Task Metrics_endpoint_shows_the_chat_counters_after_real_traffic()
    {
        await using var server = await StartAsync(new() { ["METRICS_ENABLED"] = "true" });
        var (alice, aliceToken) = await SignUpAsync(server, "metrics");
        var (_, bobId) = await SignUpIdAsync(server, "metricsbob");
        var conversation = await GroupAsync(alice, bobId);

        var socket = await _node.ConnectAsync(server.BaseUrl, new { auth = new { token = aliceToken }, transports = new[] { "websocket" }, forceNew = true, reconnection = false });
        await socket.WaitForConnectAsync();
        var ack = (await socket.EmitWithAckAsync("send_message", AckTimeout, new { conversation_id = conversation, text = "counted" })).Single();
        Assert.True(ack.GetProperty("ok").GetBoolean(), ack.ToString());

        var refused = await _node.ConnectAsync(server.BaseUrl, new { auth = new { token = "not-a-jwt" }, transports = new[] { "websocket" }, forceNew = true, reconnection = false });
        Assert.Equal("INVALID_TOKEN", (await refused.WaitForConnectErrorAsync()).Message);
        using (var wrong = new ApiClient(server.BaseUrl))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.PostAsync("/api/v1/auth/signin", new { email = "nobody@example.com", password = "wrong-password" })).Status);
        }

        using var http = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        using var response = await http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType!.MediaType);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(1, Sample(text, "raven_chat_messages_stored_total"));
        Assert.Equal(1, Sample(text, "raven_auth_failures_total", "raven_auth_code=\"INVALID_TOKEN\""));
        Assert.Equal(1, Sample(text, "raven_auth_failures_total", "raven_auth_code=\"INVALID_CREDENTIALS\""));
        Assert.Equal(1, Sample(text, "raven_chat_store_duration_seconds_count", "raven_chat_operation=\"send_message\"", "raven_chat_outcome=\"ok\""));
        Assert.True(Sample(text, "http_server_request_duration_seconds_count") >= 1, "the ASP.NET Core meters are exported too");
    }

    [Theory]
    [InlineData(null, "0x400000")]
    [InlineData("0x200000", "0x200000")]
    [InlineData("0", null)]
    public async Task The_server_process_itself_runs_with_the_GC_gen0_budget(string? setting, string? expected)
    {
        // The runtime reads the budget only from the environment, so the server re-executes itself in place (same
        // PID) with DOTNET_GCgen0size set: the process the operator started is the one that serves.
        var settings = setting is null ? new Dictionary<string, string>() : new() { ["RAVEN_GC_GEN0_SIZE"] = setting };
        await using var server = await StartAsync(settings);
        var environment = (await File.ReadAllTextAsync($"/proc/{server.Pid}/environ")).Split('\0');
        var budget = environment.FirstOrDefault(e => e.StartsWith("DOTNET_GCgen0size=", StringComparison.Ordinal))?["DOTNET_GCgen0size=".Length..];
        Assert.Equal(expected, budget);
        using var http = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz/live")).StatusCode);

        // dotnet-counters, dotnet-trace and dotnet-gcdump reach the process through its diagnostics socket: the
        // re-executed runtime must be the one listening on it (the first runtime's socket file would be dead).
        var endpoints = Directory.GetFiles(Path.GetTempPath(), $"dotnet-diagnostic-{server.Pid}-*-socket");
        Assert.Single(endpoints);
        using var diagnostics = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        await diagnostics.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(endpoints[0]));
    }

    [Fact]
    public async Task SIGTERM_closes_sockets_as_a_transport_close_and_every_acknowledged_message_survives_the_restart()
    {
        var port = FreePort.Get();
        var settings = new Dictionary<string, string> { ["SHUTDOWN_TIMEOUT_SECONDS"] = "10" };
        var server = await StartAsync(settings, port);
        List<string> acknowledged = [];
        string conversation, oldAccessToken, oldRefreshToken, publicUrl;
        ApiClient alice;
        var file = Encoding.UTF8.GetBytes("uploaded before the restart");
        List<SocketIOTestClient> senders = [];
        try
        {
            (alice, oldAccessToken) = await SignUpAsync(server, "sigterm");
            var (_, bobId) = await SignUpIdAsync(server, "sigtermbob");
            conversation = await GroupAsync(alice, bobId);
            oldRefreshToken = alice.CookieValue("refreshToken")!;
            publicUrl = await UploadAsync(alice, server.BaseUrl, file);

            foreach (var transport in new[] { "websocket", "websocket", "polling" })
            {
                // reconnection stays on (the default) so the test sees the reason a real client would act on.
                var client = await _node.ConnectAsync(server.BaseUrl, new { auth = new { token = oldAccessToken }, transports = new[] { transport }, forceNew = true, reconnectionDelay = 60_000 });
                await client.WaitForConnectAsync();
                senders.Add(client);
            }

            var gate = new Lock();
            var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var loops = senders.Select((client, index) => Task.Run(async () =>
            {
                for (var n = 0; !stop.IsCancellationRequested; n++)
                {
                    JsonElement reply;
                    try
                    {
                        reply = (await client.EmitWithAckAsync("send_message", TimeSpan.FromSeconds(5), new { conversation_id = conversation, text = $"c{index}-{n}" })).Single();
                    }
                    catch (Exception ex) when (ex is TimeoutException or NodeCommandException)
                    {
                        return; // no ack: not delivered, as far as the client knows
                    }

                    if (!reply.GetProperty("ok").GetBoolean())
                    {
                        return;
                    }

                    lock (gate)
                    {
                        acknowledged.Add(reply.GetProperty("data").GetProperty("id").GetString()!);
                    }
                }
            })).ToList();

            while (true)
            {
                lock (gate)
                {
                    if (acknowledged.Count >= 15)
                    {
                        break;
                    }
                }

                await Task.Delay(20);
            }

            server.Terminate();
            var exitCode = await server.WaitForExitAsync(TimeSpan.FromSeconds(30));
            Assert.True(exitCode == 0, $"exit code {exitCode}\n{server.Stdout}\n{server.Stderr}");
            await stop.CancelAsync();
            await Task.WhenAll(loops);

            // socket.io-client reconnects (elsewhere) after "transport close" (the server closed the transport) and
            // "transport error" (a request of a polling client raced the listener going away); after
            // "io server disconnect" it would give up, so shutdown must never send a Socket.IO DISCONNECT.
            var reasons = new List<string>();
            foreach (var client in senders)
            {
                reasons.Add(await client.GetTransportAsync() + ": " + await client.WaitForDisconnectAsync(TimeSpan.FromSeconds(15)));
            }

            Assert.All(reasons, reason => Assert.Matches(": transport (close|error)$", reason));
        }
        finally
        {
            await server.DisposeAsync();
        }

        Assert.True(acknowledged.Count >= 15);
        await using var restarted = await StartAsync(settings, port);

        // History: every acknowledged message is there (at most 3 x 100 sends are in flight; read them all).
        var stored = new HashSet<string>();
        string? before = null;
        while (true)
        {
            var page = await alice.GetAsync($"/api/v1/messages/conversation/{conversation}?limit=100" + (before is null ? string.Empty : $"&before={before}"));
            Assert.Equal(HttpStatusCode.OK, page.Status);
            var items = page.Body.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()!).ToList();
            stored.UnionWith(items);
            if (items.Count < 100)
            {
                break;
            }

            before = items[^1];
        }

        var lost = acknowledged.Where(id => !stored.Contains(id)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} of {acknowledged.Count} acknowledged messages are missing after the restart");

        // The uploaded file is still served.
        using (var http = new HttpClient())
        {
            Assert.Equal(file, await http.GetByteArrayAsync(publicUrl));
        }

        // A socket reconnects with the access token issued before the restart.
        var again = await _node.ConnectAsync(restarted.BaseUrl, new { auth = new { token = oldAccessToken }, transports = new[] { "websocket" }, forceNew = true, reconnection = false });
        await again.WaitForConnectAsync();
        var ack = (await again.EmitWithAckAsync("send_message", AckTimeout, new { conversation_id = conversation, text = "after restart" })).Single();
        Assert.True(ack.GetProperty("ok").GetBoolean(), ack.ToString());

        // Refresh rotation survived: the refresh token rotates once, and the rotated-away one is refused afterwards.
        var refreshed = await alice.PostAsync("/api/v1/auth/refresh");
        Assert.True(refreshed.Status == HttpStatusCode.OK, refreshed.Body.ToString());
        Assert.NotEqual(oldRefreshToken, alice.CookieValue("refreshToken"));
        using var replay = new ApiClient(restarted.BaseUrl, useCookies: false);
        (await replay.PostAsync("/api/v1/auth/refresh", new { refreshToken = oldRefreshToken })).AssertError(HttpStatusCode.Unauthorized);
        alice.Dispose();
    }

    private async Task<ServerProcess> StartAsync(Dictionary<string, string> settings, int? port = null)
    {
        var all = new Dictionary<string, string>(settings) { ["DATA_DIR"] = _dataDirectory, ["JWT_SECRET"] = RavenTestServer.JwtSecret };
        var server = ServerProcess.Start(all, port);
        try
        {
            await server.WaitUntilListeningAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private static async Task<(ApiClient Client, string AccessToken)> SignUpAsync(ServerProcess server, string prefix)
    {
        var (client, _) = await SignUpIdAsync(server, prefix);
        return (client, client.CookieValue("accessToken")!);
    }

    private static async Task<(ApiClient Client, string Id)> SignUpIdAsync(ServerProcess server, string prefix)
    {
        var username = $"{prefix}{Random.Shared.Next(100000, 999999)}";
        var email = $"{username}@example.com";
        var client = new ApiClient(server.BaseUrl);
        var signup = await client.PostAsync("/api/v1/auth/signup", new { username, email, password = "Passw0rd!" });
        Assert.True(signup.Status == HttpStatusCode.Created, signup.Body.ToString());
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/api/v1/auth/signin", new { email, password = "Passw0rd!" })).Status);
        return (client, signup.Data.GetProperty("id").GetString()!);
    }

    private static async Task<string> GroupAsync(ApiClient owner, string memberId)
    {
        var response = await owner.PostAsync("/api/v1/conversations", new { name = "ops", type = "group", userIds = new[] { memberId } });
        Assert.True(response.Status == HttpStatusCode.Created, response.Body.ToString());
        return response.Data.GetProperty("id").GetString()!;
    }

    private static async Task<string> UploadAsync(ApiClient user, string baseUrl, byte[] bytes)
    {
        var presign = await user.PostAsync("/api/v1/upload/presigned-url", new { filename = "notes.txt", contentType = "text/plain", folder = "docs" });
        Assert.Equal(HttpStatusCode.OK, presign.Status);
        using var http = new HttpClient();
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/plain");
        using var put = await http.PutAsync(presign.Body.GetProperty("uploadUrl").GetString(), content);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        return presign.Body.GetProperty("publicUrl").GetString()!;
    }

    // The value of the first sample of metric `name` whose labels contain every one of `labels`.
    private static double Sample(string exposition, string name, params string[] labels)
    {
        foreach (Match match in SampleLine().Matches(exposition))
        {
            if (match.Groups["name"].Value == name && labels.All(l => match.Groups["labels"].Value.Contains(l, StringComparison.Ordinal)))
            {
                return double.Parse(match.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        throw new Xunit.Sdk.XunitException($"No sample {name}{{{string.Join(',', labels)}}} in:\n{exposition}");
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex SampleLine();
}
