using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Raven.Server.Tests.Infrastructure;

namespace Raven.Server.Tests;

/// <summary>A server with CORS, a low auth rate limit (loopback included), a small upload limit and a controllable clock.</summary>
public sealed class ConfiguredFixture : IAsyncLifetime
{
    public const string Origin = "http://127.0.0.1:3001";

    public ManualTimeProvider Clock { get; } = new();

    public RavenTestServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await RavenTestServer.StartAsync(
        new Dictionary<string, string>
        {
            ["CORS_ORIGIN"] = $"{Origin}, http://localhost:3001",
            ["AUTH_RATE_LIMIT"] = "3",
            ["AUTH_RATE_LIMIT_WINDOW_SECONDS"] = "60",
            ["AUTH_RATE_LIMIT_LOOPBACK"] = "true",
            ["UPLOAD_MAX_BYTES"] = "1024",
            ["UPLOAD_QUOTA_BYTES"] = "4096",
        },
        b => b.Services.AddSingleton<TimeProvider>(Clock));

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

public sealed class HostingTests(ConfiguredFixture fixture) : IClassFixture<ConfiguredFixture>
{
    private RavenTestServer Server => fixture.Server;

    [Fact]
    public async Task Cors_preflight_allows_the_configured_origin_with_credentials_only()
    {
        using var client = new ApiClient(Server.BaseUrl, useCookies: false);
        var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/v1/auth/signin");
        preflight.Headers.Add("Origin", ConfiguredFixture.Origin);
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "content-type");
        var ok = await client.SendAsync(preflight);
        Assert.True(ok.Status is HttpStatusCode.NoContent or HttpStatusCode.OK, ok.Status.ToString());
        Assert.Equal(ConfiguredFixture.Origin, Header(ok, "Access-Control-Allow-Origin"));
        Assert.Equal("true", Header(ok, "Access-Control-Allow-Credentials"));
        Assert.Contains("POST", Header(ok, "Access-Control-Allow-Methods"));
        Assert.Contains("content-type", Header(ok, "Access-Control-Allow-Headers")!.ToLowerInvariant());

        var foreign = new HttpRequestMessage(HttpMethod.Options, "/api/v1/auth/signin");
        foreign.Headers.Add("Origin", "http://evil.example");
        foreign.Headers.Add("Access-Control-Request-Method", "POST");
        var refused = await client.SendAsync(foreign);
        Assert.Null(Header(refused, "Access-Control-Allow-Origin"));

        // Simple requests carry the headers too (and the socket endpoint shares the same middleware).
        var get = new HttpRequestMessage(HttpMethod.Get, "/healthz");
        get.Headers.Add("Origin", "http://localhost:3001");
        var simple = await client.SendAsync(get);
        Assert.Equal("http://localhost:3001", Header(simple, "Access-Control-Allow-Origin"));
        Assert.Equal("true", Header(simple, "Access-Control-Allow-Credentials"));
    }

    [Fact]
    public async Task Auth_endpoints_are_rate_limited_per_ip_with_429_and_retry_after()
    {
        using var client = Server.NewClient();
        ApiResponse? last = null;
        for (var i = 0; i < 4; i++)
        {
            last = await client.PostAsync("/api/v1/auth/token", new { email = "nobody-rl@example.com", password = "whatever1" });
            if (i < 3)
            {
                Assert.Equal(HttpStatusCode.Unauthorized, last.Status);
            }
        }

        last!.AssertError(HttpStatusCode.TooManyRequests, "RATE_LIMITED");
        var retryAfter = int.Parse(Header(last, "Retry-After")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 60);
        Assert.Equal(retryAfter, last.Body.GetProperty("retryAfter").GetInt32());

        // Only the credential endpoints are limited.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).Status);
    }

    private static readonly byte[] s_png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, .. "fake image bytes"u8];

    [Fact]
    public async Task Upload_presign_put_and_get_round_trip_with_an_unguessable_key_and_a_signed_public_url()
    {
        var user = await NewUserWithoutRateLimitAsync();
        var presign = await user.PostAsync("/api/v1/upload/presigned-url", new { filename = "cat picture.PNG", contentType = "image/png", folder = "../Avatars!" });
        Assert.Equal(HttpStatusCode.OK, presign.Status);
        var uploadUrl = presign.Body.GetProperty("uploadUrl").GetString()!;
        var publicUrl = presign.Body.GetProperty("publicUrl").GetString()!;
        var key = presign.Body.GetProperty("key").GetString()!;
        // 128 random bits, not an ObjectId (time + process constant + counter).
        Assert.Matches("^avatars/[0-9a-f]{32}\\.png$", key);
        Assert.StartsWith(Server.BaseUrl + "/uploads/" + key + "?expires=", uploadUrl);
        Assert.StartsWith(Server.BaseUrl + "/uploads/" + key + "?sig=", publicUrl);

        var put = await Put(uploadUrl, s_png, "image/png");
        Assert.Equal(HttpStatusCode.OK, put.Status);
        Assert.Equal(publicUrl, put.Data.GetProperty("publicUrl").GetString());

        // The public URL is what a message stores: it keeps working, for anyone the uploader shares it with.
        using var http = new HttpClient();
        using var get = await http.GetAsync(publicUrl);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("image/png", get.Content.Headers.ContentType!.MediaType);
        Assert.Equal("nosniff", get.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.True(get.Headers.CacheControl!.Private);
        Assert.False(get.Headers.CacheControl.Public);
        Assert.Equal("inline", get.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal(s_png, await get.Content.ReadAsByteArrayAsync());

        // A key is single-use.
        (await Put(uploadUrl, s_png, "image/png")).AssertError(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Uploads_cannot_be_fetched_by_key_alone_and_keys_reveal_nothing_about_each_other()
    {
        var victim = await NewUserWithoutRateLimitAsync();
        var presign = await victim.PostAsync("/api/v1/upload/presigned-url", new { filename = "secret.pdf", contentType = "application/pdf", folder = "docs" });
        var key = presign.Body.GetProperty("key").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await Put(presign.Body.GetProperty("uploadUrl").GetString()!, "%PDF-1.7 secret"u8.ToArray(), "application/pdf")).Status);

        // Another signed-in user who learned (or guessed) the key gets nothing: no signature, a wrong one, or another key's.
        var attacker = await NewUserWithoutRateLimitAsync();
        var own = await attacker.PostAsync("/api/v1/upload/presigned-url", new { filename = "mine.pdf", contentType = "application/pdf", folder = "docs" });
        var ownSig = own.Body.GetProperty("publicUrl").GetString()!.Split("?sig=")[1];
        foreach (var url in new[] { $"/uploads/{key}", $"/uploads/{key}?sig=AAAA", $"/uploads/{key}?sig={ownSig}" })
        {
            (await attacker.GetAsync(url)).AssertError(HttpStatusCode.NotFound);
        }

        // Keys of consecutive presigns share no counter: they differ in (nearly) every position.
        var ownKey = own.Body.GetProperty("key").GetString()!;
        var a = Path.GetFileNameWithoutExtension(key);
        var b = Path.GetFileNameWithoutExtension(ownKey);
        Assert.True(a.Zip(b).Count(p => p.First == p.Second) < 16, $"{a} vs {b}");

        // Non-images are downloads, never rendered inline.
        using var http = new HttpClient();
        using var get = await http.GetAsync(presign.Body.GetProperty("publicUrl").GetString());
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("attachment", get.Content.Headers.ContentDisposition!.DispositionType);
        Assert.DoesNotContain("public", get.Headers.CacheControl!.ToString());
    }

    [Fact]
    public async Task Upload_content_must_match_the_declared_type()
    {
        var user = await NewUserWithoutRateLimitAsync();
        async Task<string> Presign(string contentType, string filename) =>
            (await user.PostAsync("/api/v1/upload/presigned-url", new { filename, contentType, folder = "f" })).Body.GetProperty("uploadUrl").GetString()!;

        var html = "<html><script>alert(1)</script></html>"u8.ToArray();
        (await Put(await Presign("image/png", "x.png"), html, "image/png")).AssertError(HttpStatusCode.UnsupportedMediaType, "CONTENT_TYPE_MISMATCH");
        (await Put(await Presign("application/pdf", "x.pdf"), s_png, "application/pdf")).AssertError(HttpStatusCode.UnsupportedMediaType, "CONTENT_TYPE_MISMATCH");
        (await Put(await Presign("text/plain", "x.txt"), [0x00, 0x01, 0x02], "text/plain")).AssertError(HttpStatusCode.UnsupportedMediaType, "CONTENT_TYPE_MISMATCH");
        Assert.Equal(HttpStatusCode.OK, (await Put(await Presign("image/gif", "x.gif"), "GIF89a...."u8.ToArray(), "image/gif")).Status);
        Assert.Equal(HttpStatusCode.OK, (await Put(await Presign("image/jpeg", "x.jpg"), [0xFF, 0xD8, 0xFF, 0xE0, 1, 2], "image/jpeg")).Status);
    }

    [Fact]
    public async Task Uploads_count_against_a_per_user_quota()
    {
        var user = await NewUserWithoutRateLimitAsync();
        async Task<ApiResponse> Presign() =>
            await user.PostAsync("/api/v1/upload/presigned-url", new { filename = "n.txt", contentType = "text/plain", folder = "q" });

        var pending = (await Presign()).Body.GetProperty("uploadUrl").GetString()!;
        var text = Enumerable.Repeat((byte)'a', 1024).ToArray();
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await Put((await Presign()).Body.GetProperty("uploadUrl").GetString()!, text, "text/plain")).Status);
        }

        // 4096 bytes stored: a URL handed out earlier cannot go past the quota, and no new one is handed out.
        (await Put(pending, text, "text/plain")).AssertError(HttpStatusCode.RequestEntityTooLarge, "QUOTA_EXCEEDED");
        (await Presign()).AssertError(HttpStatusCode.RequestEntityTooLarge, "QUOTA_EXCEEDED");

        // Another user has their own quota.
        var other = await NewUserWithoutRateLimitAsync();
        Assert.Equal(HttpStatusCode.OK, (await other.PostAsync("/api/v1/upload/presigned-url", new { filename = "n.txt", contentType = "text/plain", folder = "q" })).Status);
    }

    [Fact]
    public async Task Upload_refuses_bad_signature_expired_url_wrong_type_and_oversized_bodies()
    {
        var user = await NewUserWithoutRateLimitAsync();
        (await user.PostAsync("/api/v1/upload/presigned-url", new { filename = "x.html", contentType = "text/html", folder = "f" }))
            .AssertError(HttpStatusCode.UnsupportedMediaType);
        (await user.PostAsync("/api/v1/upload/presigned-url", new { filename = "x.svg", contentType = "image/svg+xml", folder = "f" }))
            .AssertError(HttpStatusCode.UnsupportedMediaType);
        (await user.PostAsync("/api/v1/upload/presigned-url", new { folder = "f" })).AssertError(HttpStatusCode.BadRequest);
        using (var anonymous = Server.NewClient())
        {
            (await anonymous.PostAsync("/api/v1/upload/presigned-url", new { filename = "a.txt", contentType = "text/plain" })).AssertError(HttpStatusCode.Unauthorized);
        }

        async Task<string> Presign(string contentType = "text/plain") =>
            (await user.PostAsync("/api/v1/upload/presigned-url", new { filename = "notes.txt", contentType, folder = "docs" })).Body.GetProperty("uploadUrl").GetString()!;

        var small = Encoding.UTF8.GetBytes("hello");
        var url = await Presign();
        var tampered = url[..^3] + (url[^3] == 'A' ? "BBB" : "AAA");
        (await Put(tampered, small, "text/plain")).AssertError(HttpStatusCode.Forbidden, "INVALID_SIGNATURE");
        (await Put(url.Split('?')[0], small, "text/plain")).AssertError(HttpStatusCode.Forbidden);
        (await Put(url, small, "application/pdf")).AssertError(HttpStatusCode.UnsupportedMediaType);
        (await Put(url, Enumerable.Repeat((byte)'a', 1025).ToArray(), "text/plain")).AssertError(HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(HttpStatusCode.OK, (await Put(url, Enumerable.Repeat((byte)'a', 1024).ToArray(), "text/plain")).Status);
        // The URL is bound to its uploader: another owner in the query breaks the signature.
        var fresh = await Presign();
        var otherOwner = System.Text.RegularExpressions.Regex.Replace(fresh, "owner=[0-9a-f]{24}", "owner=" + Raven.Chat.ObjectIds.NewId());
        (await Put(otherOwner, small, "text/plain")).AssertError(HttpStatusCode.Forbidden, "INVALID_SIGNATURE");

        var later = await Presign();
        fixture.Clock.Advance(TimeSpan.FromMinutes(11));
        (await Put(later, small, "text/plain")).AssertError(HttpStatusCode.Forbidden, "URL_EXPIRED");
    }

    [Fact]
    public async Task Upload_paths_cannot_escape_the_uploads_folder()
    {
        // Real files wherever a careless resolver (Path.Combine of the unescaped route values, or serving any name in
        // a folder) would land, so a 404 proves the path was refused, not that nothing was there.
        var uploads = Path.Combine(Server.DataDirectory, "uploads");
        Directory.CreateDirectory(Path.Combine(uploads, "docs"));
        var secret = Encoding.UTF8.GetBytes("outside the uploads folder");
        await File.WriteAllBytesAsync(Path.Combine(Server.DataDirectory, "secret.txt"), secret);
        await File.WriteAllBytesAsync(Path.Combine(uploads, "secret.txt"), secret);
        await File.WriteAllBytesAsync(Path.Combine(uploads, "docs", "planted.txt"), secret);

        // Control: a real upload under the same route is served, so the route itself works.
        var user = await NewUserWithoutRateLimitAsync();
        var presign = await user.PostAsync("/api/v1/upload/presigned-url", new { filename = "ok.txt", contentType = "text/plain", folder = "docs" });
        Assert.Equal(HttpStatusCode.OK, (await Put(presign.Body.GetProperty("uploadUrl").GetString()!, Encoding.UTF8.GetBytes("fine"), "text/plain")).Status);
        using var http = new HttpClient { BaseAddress = new Uri(Server.BaseUrl) };
        Assert.Equal("fine", await http.GetStringAsync(new Uri(presign.Body.GetProperty("publicUrl").GetString()!)));

        foreach (var path in new[]
        {
            "/uploads/docs/..%2F..%2Fsecret.txt",   // DATA_DIR/secret.txt
            "/uploads/docs/..%2Fsecret.txt",        // DATA_DIR/uploads/secret.txt
            "/uploads/..%2F/secret.txt",            // folder ".." after unescaping
            "/uploads/docs/planted.txt",            // exists, but not a key the store generated
            "/uploads/docs/..%5C..%5Csecret.txt",   // backslashes
            "/uploads/docs/%2E%2E%2F%2E%2E%2Fsecret.txt",
        })
        {
            using var response = await http.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{path}: {(int)response.StatusCode}");
            Assert.NotEqual(secret, await response.Content.ReadAsByteArrayAsync());
        }
    }

    [Fact]
    public async Task Expired_refresh_sessions_are_pruned()
    {
        var chat = Server.Services.GetRequiredService<Raven.Chat.IChatService>();
        var name = "pr" + Guid.NewGuid().ToString("N")[..8];
        var user = await chat.RegisterAsync(name, $"{name}@example.com", "Passw0rd!");
        var sessions = Server.Services.GetRequiredService<Raven.Server.Auth.Internal.SessionService>();
        await sessions.StartAsync(user, CancellationToken.None);
        var pruner = Server.Services.GetRequiredService<Raven.Server.Auth.Internal.RefreshSessionPruner>();
        var store = Server.Services.GetRequiredService<Raven.Chat.IRefreshSessionStore>();

        fixture.Clock.Advance(TimeSpan.FromDays(31));
        Assert.True(await pruner.PruneOnceAsync(CancellationToken.None) >= 1);
        Assert.Equal(0, await store.PruneExpiredAsync());
    }

    private async Task<ApiClient> NewUserWithoutRateLimitAsync()
    {
        // Sign-up/sign-in are rate limited on this server; a token minted with the secret avoids spending the budget.
        var chat = Server.Services.GetRequiredService<Raven.Chat.IChatService>();
        var name = "up" + Guid.NewGuid().ToString("N")[..8];
        var user = await chat.RegisterAsync(name, $"{name}@example.com", "Passw0rd!");
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return new ApiClient(Server.BaseUrl, useCookies: false)
        {
            Bearer = RavenTestServer.SignJwt(new { userId = user.Id, username = user.Username, iat = now, exp = now + 600 }),
        };
    }

    private static async Task<ApiResponse> Put(string url, byte[] body, string contentType)
    {
        using var client = new ApiClient(new Uri(url).GetLeftPart(UriPartial.Authority), useCookies: false);
        var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        return await client.SendAsync(request);
    }

    private static string? Header(ApiResponse response, string name) =>
        response.Raw.Headers.TryGetValues(name, out var values) || response.Raw.Content.Headers.TryGetValues(name, out values)
            ? string.Join(",", values)
            : null;
}
