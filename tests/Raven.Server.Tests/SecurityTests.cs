using System.Net;
using System.Text.Json;
using Raven.Server.Tests.Infrastructure;

namespace Raven.Server.Tests;

/// <summary>Issue 6 findings on the REST side, each through real HTTP against a real server.</summary>
public sealed class SecurityTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string PreviousSecret = "an-earlier-secret-0123456789abcdef0123456789";

    private RavenTestServer Server => fixture.Server;

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    private async Task<ApiResponse> MeWithAsync(string token)
    {
        using var client = new ApiClient(Server.BaseUrl, useCookies: false) { Bearer = token };
        return await client.GetAsync("/api/v1/auth/me");
    }

    [Fact]
    public async Task Issued_tokens_carry_issuer_audience_and_session_and_foreign_issuers_or_audiences_are_refused()
    {
        var user = await Server.NewUserAsync();
        var token = user.Client.CookieValue("accessToken")!;
        var payload = JsonDocument.Parse(Base64Url(token.Split('.')[1])).RootElement;
        Assert.Equal("raven", payload.GetProperty("iss").GetString());
        Assert.Equal("raven", payload.GetProperty("aud").GetString());
        Assert.False(string.IsNullOrEmpty(payload.GetProperty("sid").GetString()));

        // Tokens of the original erion-raven (no iss/aud) keep working...
        Assert.Equal(HttpStatusCode.OK, (await MeWithAsync(RavenTestServer.SignJwt(new { userId = user.Id, iat = Now, exp = Now + 600 }))).Status);
        // ...but a token the same secret signed for another service is not ours.
        (await MeWithAsync(RavenTestServer.SignJwt(new { userId = user.Id, iss = "billing", iat = Now, exp = Now + 600 }))).AssertError(HttpStatusCode.Unauthorized, "INVALID_TOKEN");
        (await MeWithAsync(RavenTestServer.SignJwt(new { userId = user.Id, aud = "billing", iat = Now, exp = Now + 600 }))).AssertError(HttpStatusCode.Unauthorized, "INVALID_TOKEN");
    }

    [Fact]
    public async Task Token_lifetime_is_capped()
    {
        var user = await Server.NewUserAsync();
        // A year-long token (as an attacker with a guessed secret would mint) is refused; a day is the default cap.
        (await MeWithAsync(RavenTestServer.SignJwt(new { userId = user.Id, iat = Now, exp = Now + (365 * 86400) }))).AssertError(HttpStatusCode.Unauthorized, "INVALID_TOKEN");
        (await MeWithAsync(RavenTestServer.SignJwt(new { userId = user.Id, exp = Now + (30 * 86400) }))).AssertError(HttpStatusCode.Unauthorized, "INVALID_TOKEN");
        Assert.Equal(HttpStatusCode.OK, (await MeWithAsync(RavenTestServer.SignJwt(new { userId = user.Id, iat = Now, exp = Now + 86000 }))).Status);
    }

    [Fact]
    public async Task Previous_secrets_validate_old_tokens_while_new_ones_use_the_current_secret()
    {
        await using var server = await RavenTestServer.StartAsync(new Dictionary<string, string> { ["JWT_PREVIOUS_SECRETS"] = $"{PreviousSecret}, another-old-secret-0123456789abcdef01234" });
        var user = await server.NewUserAsync();
        using var client = new ApiClient(server.BaseUrl, useCookies: false);
        client.Bearer = RavenTestServer.SignJwt(new { userId = user.Id, iat = Now, exp = Now + 600 }, PreviousSecret);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/auth/me")).Status);
        client.Bearer = RavenTestServer.SignJwt(new { userId = user.Id, iat = Now, exp = Now + 600 }, "an-unknown-secret-0123456789abcdef0123456789");
        (await client.GetAsync("/api/v1/auth/me")).AssertError(HttpStatusCode.Unauthorized, "INVALID_TOKEN");

        // New tokens are signed with the current secret only.
        var issued = user.Client.CookieValue("accessToken")!;
        var parts = issued.Split('.');
        var expected = Convert.ToBase64String(System.Security.Cryptography.HMACSHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes(RavenTestServer.JwtSecret), System.Text.Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        Assert.Equal(expected, parts[2]);
    }

    [Fact]
    public async Task Failed_sign_ins_lock_the_account_from_loopback_too_with_backoff_and_other_accounts_are_unaffected()
    {
        var victim = await Server.NewUserAsync();
        var bystander = await Server.NewUserAsync();
        using var attacker = Server.NewClient();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 40; i++)
        {
            statuses.Add((await attacker.PostAsync("/api/v1/auth/signin", new { email = victim.Email, password = "wrong-" + i })).Status);
        }

        // The default allows 5 failures, then locks: the old server answered 40 x 401 from 127.0.0.1.
        Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.Unauthorized));
        Assert.Equal(35, statuses.Count(s => s == HttpStatusCode.TooManyRequests));

        // While locked even the right password waits (and costs no hashing); Retry-After says how long.
        using var owner = Server.NewClient();
        var locked = await owner.PostAsync("/api/v1/auth/signin", new { email = victim.Email.ToUpperInvariant(), password = victim.Password });
        locked.AssertError(HttpStatusCode.TooManyRequests, "RATE_LIMITED");
        Assert.InRange(int.Parse(locked.Raw.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        (await owner.PostAsync("/api/v1/auth/token", new { email = victim.Email, password = victim.Password })).AssertError(HttpStatusCode.TooManyRequests);

        Assert.Equal(HttpStatusCode.OK, (await owner.PostAsync("/api/v1/auth/signin", new { email = bystander.Email, password = bystander.Password })).Status);
    }

    [Fact]
    public async Task Wrong_current_passwords_on_profile_update_are_limited_per_account()
    {
        var user = await Server.NewUserAsync();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
        {
            statuses.Add((await user.Client.PutAsync("/api/v1/users/profile", new { password = "NewPassw0rd!", currentPassword = "guess-" + i })).Status);
        }

        Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.BadRequest));
        Assert.Equal(3, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        // Other profile changes need no password and still work.
        Assert.Equal(HttpStatusCode.OK, (await user.Client.PutAsync("/api/v1/users/profile", new { avatar = "https://example.com/a.png" })).Status);
    }

    [Fact]
    public async Task A_password_change_revokes_the_other_devices_refresh_and_access_tokens_and_keeps_this_one_signed_in()
    {
        var user = await Server.NewUserAsync();
        using var laptop = Server.NewClient();
        Assert.Equal(HttpStatusCode.OK, (await laptop.PostAsync("/api/v1/auth/signin", new { email = user.Email, password = user.Password })).Status);
        var laptopAccess = laptop.CookieValue("accessToken")!;

        var change = await user.Client.PutAsync("/api/v1/users/profile", new { password = "N3w-Passw0rd!", currentPassword = user.Password });
        Assert.Equal(HttpStatusCode.OK, change.Status);
        Assert.Contains(change.SetCookies, c => c.StartsWith("accessToken=", StringComparison.Ordinal));

        // The other device: its access token stops working now, and its refresh token cannot bring it back.
        (await MeWithAsync(laptopAccess)).AssertError(HttpStatusCode.Unauthorized);
        (await laptop.PostAsync("/api/v1/auth/refresh")).AssertError(HttpStatusCode.Unauthorized, "INVALID_REFRESH_TOKEN");

        // This browser got a fresh session.
        Assert.Equal(HttpStatusCode.OK, (await user.Client.GetAsync("/api/v1/auth/me")).Status);
        Assert.Equal(HttpStatusCode.OK, (await user.Client.PostAsync("/api/v1/auth/refresh")).Status);
    }

    [Fact]
    public async Task Access_tokens_stop_working_after_sign_out()
    {
        var user = await Server.NewUserAsync();
        var access = user.Client.CookieValue("accessToken")!;
        Assert.Equal(HttpStatusCode.OK, (await MeWithAsync(access)).Status);
        Assert.Equal(HttpStatusCode.OK, (await user.Client.PostAsync("/api/v1/auth/signout")).Status);
        (await MeWithAsync(access)).AssertError(HttpStatusCode.Unauthorized);

        // Another session of the same user is not affected by this one's sign-out.
        using var phone = Server.NewClient();
        Assert.Equal(HttpStatusCode.OK, (await phone.PostAsync("/api/v1/auth/signin", new { email = user.Email, password = user.Password })).Status);
        Assert.Equal(HttpStatusCode.OK, (await phone.GetAsync("/api/v1/auth/me")).Status);
    }

    private static byte[] Base64Url(string s)
    {
        s = s.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='));
    }
}

/// <summary>Rate limits per client IP: forwarded headers from known proxies, and the endpoints an attacker would farm.</summary>
public sealed class ProxyAndEndpointLimitTests
{
    [Fact]
    public async Task Behind_a_known_proxy_limits_apply_per_forwarded_client_and_https_is_honoured()
    {
        await using var server = await RavenTestServer.StartAsync(new Dictionary<string, string>
        {
            ["KNOWN_PROXIES"] = "127.0.0.1,::1",
            ["AUTH_RATE_LIMIT"] = "2",
        });
        using var client = new ApiClient(server.BaseUrl, useCookies: false);
        async Task<ApiResponse> SigninFrom(string ip, string proto = "http")
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/token") { Content = System.Net.Http.Json.JsonContent.Create(new { email = "nobody-proxy@example.com", password = "x1234567" }) };
            request.Headers.Add("X-Forwarded-For", ip);
            request.Headers.Add("X-Forwarded-Proto", proto);
            return await client.SendAsync(request);
        }

        // Every client reaches us from the proxy on 127.0.0.1, which the old server exempted: no limit at all.
        Assert.Equal(HttpStatusCode.Unauthorized, (await SigninFrom("203.0.113.5")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SigninFrom("203.0.113.5")).Status);
        (await SigninFrom("203.0.113.5")).AssertError(HttpStatusCode.TooManyRequests, "RATE_LIMITED");
        // Another client behind the same proxy has its own bucket.
        Assert.Equal(HttpStatusCode.Unauthorized, (await SigninFrom("198.51.100.7")).Status);

        // TLS terminated at the proxy: cookies are Secure and HSTS is sent.
        var user = await server.NewUserAsync();
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/signin") { Content = System.Net.Http.Json.JsonContent.Create(new { email = user.Email, password = user.Password }) };
        request.Headers.Add("X-Forwarded-For", "192.0.2.44");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Host = "chat.example.org";
        var signin = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, signin.Status);
        Assert.All(signin.SetCookies, c => Assert.Contains("secure", c.ToLowerInvariant()));
        Assert.True(signin.Raw.Headers.Contains("Strict-Transport-Security"));
    }

    [Fact]
    public async Task Forwarded_headers_from_unknown_peers_are_ignored()
    {
        await using var server = await RavenTestServer.StartAsync(new Dictionary<string, string>
        {
            ["AUTH_RATE_LIMIT"] = "2",
            ["AUTH_RATE_LIMIT_LOOPBACK"] = "true",
        });
        using var client = new ApiClient(server.BaseUrl, useCookies: false);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            // A client cannot buy itself a fresh bucket per request by inventing X-Forwarded-For.
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/token") { Content = System.Net.Http.Json.JsonContent.Create(new { email = "spoof@example.com", password = "x1234567" }) };
            request.Headers.Add("X-Forwarded-For", $"203.0.113.{i + 1}");
            statuses.Add((await client.SendAsync(request)).Status);
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[2]);
    }

    [Fact]
    public async Task Search_presign_and_rest_sends_are_limited_per_ip()
    {
        await using var server = await RavenTestServer.StartAsync(new Dictionary<string, string>
        {
            ["SEARCH_RATE_LIMIT"] = "2",
            ["UPLOAD_RATE_LIMIT"] = "2",
            ["MESSAGE_RATE_LIMIT"] = "2",
            ["AUTH_RATE_LIMIT_LOOPBACK"] = "true",
        });
        var alice = await server.NewUserAsync();
        var bob = await server.NewUserAsync();
        var conversation = (await alice.Client.PostAsync("/api/v1/conversations", new { name = "g", type = "group", userIds = new[] { bob.Id } })).Data.GetProperty("id").GetString();

        async Task AssertLimitedAsync(Func<Task<ApiResponse>> call)
        {
            Assert.True((await call()).Status < HttpStatusCode.BadRequest);
            Assert.True((await call()).Status < HttpStatusCode.BadRequest);
            (await call()).AssertError(HttpStatusCode.TooManyRequests, "RATE_LIMITED");
        }

        await AssertLimitedAsync(() => alice.Client.GetAsync("/api/v1/users/search?username=us"));
        await AssertLimitedAsync(() => alice.Client.PostAsync("/api/v1/upload/presigned-url", new { filename = "a.txt", contentType = "text/plain" }));
        await AssertLimitedAsync(() => alice.Client.PostAsync($"/api/v1/messages/conversation/{conversation}", new { text = "hi" }));
    }

    [Fact]
    public async Task Loopback_stays_exempt_from_per_ip_limits_by_default()
    {
        await using var server = await RavenTestServer.StartAsync(new Dictionary<string, string> { ["SEARCH_RATE_LIMIT"] = "2" });
        var alice = await server.NewUserAsync();
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await alice.Client.GetAsync("/api/v1/users/search?username=us")).Status);
        }
    }

    [Fact]
    public async Task Password_hashing_is_bounded_and_excess_sign_ins_are_refused_at_once()
    {
        // One hash at a time, nobody waiting, and a deliberately slow hash (~1 s): concurrent attempts cannot pile up
        // CPU work. The hash is long so that, even when a busy test machine dispatches the attempts late, some of them
        // arrive while the first one holds the only slot.
        await using var server = await RavenTestServer.StartAsync(new Dictionary<string, string>
        {
            ["PASSWORD_HASH_CONCURRENCY"] = "1",
            ["PASSWORD_HASH_QUEUE"] = "0",
            ["PASSWORD_HASH_ITERATIONS"] = "1000000",
        });
        using var client = new ApiClient(server.BaseUrl, useCookies: false);
        var attempts = Enumerable.Range(0, 8).Select(i => client.PostAsync("/api/v1/auth/token", new { email = $"nobody{i}@example.com", password = "x1234567" }));
        var responses = await Task.WhenAll(attempts);
        Assert.Contains(responses, r => r.Status == HttpStatusCode.Unauthorized);
        var busy = responses.First(r => r.Status == HttpStatusCode.ServiceUnavailable);
        busy.AssertError(HttpStatusCode.ServiceUnavailable, "SERVER_BUSY");
        Assert.True(busy.Raw.Headers.Contains("Retry-After"));
    }
}

/// <summary>Issue 6 #10: the stricter privacy settings over HTTP (the defaults are covered by the client-flow tests).</summary>
public sealed class PrivacySettingsTests
{
    [Fact]
    public async Task Prefix_search_with_a_longer_minimum_and_friends_only_contacts()
    {
        await using var server = await RavenTestServer.StartAsync(new Dictionary<string, string>
        {
            ["SEARCH_MODE"] = "prefix",
            ["SEARCH_MIN_LENGTH"] = "3",
            ["DM_POLICY"] = "friends",
            ["GROUP_INVITE_POLICY"] = "friends",
        });
        var alice = await server.NewUserAsync("zed");
        var bob = await server.NewUserAsync("zed");
        (await alice.Client.GetAsync("/api/v1/users/search?username=ze")).AssertError(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal(0, (await alice.Client.GetAsync("/api/v1/users/search?username=example.com")).Body.GetArrayLength());
        Assert.True((await alice.Client.GetAsync("/api/v1/users/search?username=zed")).Body.GetArrayLength() >= 2);

        (await alice.Client.PostAsync("/api/v1/conversations", new { type = "direct", userIds = new[] { bob.Id } })).AssertError(HttpStatusCode.Forbidden);
        (await alice.Client.PostAsync("/api/v1/conversations", new { name = "g", type = "group", userIds = new[] { bob.Id } })).AssertError(HttpStatusCode.Forbidden);

        // The web client's way still works: a friend request, accepted, creates the direct conversation.
        var request = await alice.Client.PostAsync("/api/v1/friends/requests", new { toUserId = bob.Id });
        Assert.Equal(HttpStatusCode.Created, request.Status);
        var accepted = await bob.Client.PostAsync($"/api/v1/friends/requests/{request.Data.GetProperty("id").GetString()}/accept");
        Assert.Equal(HttpStatusCode.OK, accepted.Status);
        Assert.False(string.IsNullOrEmpty(accepted.Data.GetProperty("conversationId").GetString()));
        Assert.Equal(HttpStatusCode.Created, (await alice.Client.PostAsync("/api/v1/conversations", new { name = "g", type = "group", userIds = new[] { bob.Id } })).Status);
    }
}
