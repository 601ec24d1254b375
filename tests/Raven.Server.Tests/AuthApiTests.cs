using System.Net;
using System.Text.Json;
using Raven.Server.Auth.Internal;
using Raven.Server.Tests.Infrastructure;

namespace Raven.Server.Tests;

public sealed class AuthApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private RavenTestServer Server => fixture.Server;

    [Fact]
    public async Task Signup_returns_201_with_user_envelope_and_rejects_duplicates_and_missing_fields()
    {
        using var client = Server.NewClient();
        var name = "sign" + Guid.NewGuid().ToString("N")[..8];
        var created = await client.PostAsync("/api/v1/auth/signup", new { username = name, email = $"{name}@example.com", password = "Passw0rd" });

        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.True(created.Body.GetProperty("success").GetBoolean());
        Assert.Equal(24, created.Data.GetProperty("id").GetString()!.Length);
        Assert.Equal(name, created.Data.GetProperty("username").GetString());
        Assert.Equal($"{name}@example.com", created.Data.GetProperty("email").GetString());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", created.Data.GetProperty("createdAt").GetString());
        Assert.False(created.Data.TryGetProperty("password", out _));
        Assert.False(created.Data.TryGetProperty("passwordHash", out _));

        var duplicate = await client.PostAsync("/api/v1/auth/signup", new { username = name + "b", email = $"{name}@example.com", password = "Passw0rd" });
        duplicate.AssertError(HttpStatusCode.Conflict);

        var missing = await client.PostAsync("/api/v1/auth/signup", new { username = name + "c" });
        missing.AssertError(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
    }

    [Fact]
    public async Task Signin_sets_httpOnly_lax_cookies_with_lifetimes_scoped_paths_and_no_secure_flag_on_http()
    {
        var user = await Server.NewUserAsync();
        using var raw = new ApiClient(Server.BaseUrl, useCookies: false);
        var response = await raw.PostAsync("/api/v1/auth/signin", new { email = user.Email, password = user.Password });

        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal(user.Id, response.Data.GetProperty("id").GetString());
        var cookies = response.SetCookies.ToList();
        var access = Assert.Single(cookies, c => c.StartsWith("accessToken=", StringComparison.Ordinal));
        var refresh = Assert.Single(cookies, c => c.StartsWith("refreshToken=", StringComparison.Ordinal));
        foreach (var cookie in new[] { access, refresh })
        {
            var lower = cookie.ToLowerInvariant();
            Assert.Contains("httponly", lower);
            Assert.Contains("samesite=lax", lower);
            Assert.DoesNotContain("secure", lower);
        }

        // The access token must reach /socket.io/ too; the refresh token only the endpoints that use it.
        Assert.Contains("path=/;", access.ToLowerInvariant() + ";");
        Assert.Contains("path=/api/v1/auth;", refresh.ToLowerInvariant() + ";");

        Assert.Contains("max-age=3600", access);
        Assert.Contains("max-age=2592000", refresh);

        // The access token carries the original API's claims.
        var jwt = access["accessToken=".Length..access.IndexOf(';')];
        var payload = JsonDocument.Parse(Base64UrlDecode(jwt.Split('.')[1])).RootElement;
        Assert.Equal(user.Id, payload.GetProperty("userId").GetString());
        Assert.Equal(user.Username, payload.GetProperty("username").GetString());
        Assert.Equal(user.Email, payload.GetProperty("email").GetString());
        Assert.Equal(3600, payload.GetProperty("exp").GetInt64() - payload.GetProperty("iat").GetInt64());
    }

    [Fact]
    public async Task Signin_with_wrong_password_is_401_with_numeric_code()
    {
        var user = await Server.NewUserAsync();
        using var client = Server.NewClient();
        var response = await client.PostAsync("/api/v1/auth/signin", new { email = user.Email, password = "wrong-password1" });
        response.AssertError(HttpStatusCode.Unauthorized, "INVALID_CREDENTIALS");
        Assert.Empty(response.SetCookies);
    }

    [Fact]
    public async Task Me_needs_a_token_and_returns_the_user_from_the_cookie()
    {
        var user = await Server.NewUserAsync();
        var me = await user.Client.GetAsync("/api/v1/auth/me");
        Assert.Equal(HttpStatusCode.OK, me.Status);
        Assert.Equal(user.Id, me.Data.GetProperty("id").GetString());

        using var anonymous = Server.NewClient();
        var denied = await anonymous.GetAsync("/api/v1/auth/me");
        denied.AssertError(HttpStatusCode.Unauthorized, "AUTHENTICATION_REQUIRED");
    }

    [Fact]
    public async Task Token_endpoint_returns_tokens_and_bearer_works_everywhere()
    {
        var user = await Server.NewUserAsync();
        using var client = new ApiClient(Server.BaseUrl, useCookies: false);
        var token = await client.PostAsync("/api/v1/auth/token", new { email = user.Email, password = user.Password });
        Assert.Equal(HttpStatusCode.OK, token.Status);
        Assert.Equal(3600, token.Data.GetProperty("expiresIn").GetInt32());
        Assert.Equal(user.Id, token.Data.GetProperty("user").GetProperty("id").GetString());

        client.Bearer = token.Data.GetProperty("accessToken").GetString();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/users/profile")).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/conversations")).Status);

        // Body-based refresh returns the rotated pair (a non-browser client has no cookie jar).
        var refreshed = await client.PostAsync("/api/v1/auth/refresh", new { refreshToken = token.Data.GetProperty("refreshToken").GetString() });
        Assert.Equal(HttpStatusCode.OK, refreshed.Status);
        Assert.NotEqual(token.Data.GetProperty("refreshToken").GetString(), refreshed.Data.GetProperty("refreshToken").GetString());
        client.Bearer = refreshed.Data.GetProperty("accessToken").GetString();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/auth/me")).Status);
    }

    [Fact]
    public async Task Bearer_header_wins_over_the_cookie()
    {
        var alice = await Server.NewUserAsync();
        var bob = await Server.NewUserAsync();
        alice.Client.Bearer = bob.Client.CookieValue("accessToken");
        var me = await alice.Client.GetAsync("/api/v1/auth/me");
        Assert.Equal(bob.Id, me.Data.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Expired_token_is_401_TOKEN_EXPIRED_and_foreign_tokens_signed_with_the_secret_are_accepted()
    {
        var user = await Server.NewUserAsync();
        using var client = new ApiClient(Server.BaseUrl, useCookies: false);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        client.Bearer = RavenTestServer.SignJwt(new { userId = user.Id, username = user.Username, iat = now - 7200, exp = now - 3600 });
        (await client.GetAsync("/api/v1/auth/me")).AssertError(HttpStatusCode.Unauthorized, "TOKEN_EXPIRED");

        // What an erion-raven deployment (jsonwebtoken) signs: no email, no nbf, no issuer or audience.
        client.Bearer = RavenTestServer.SignJwt(new { userId = user.Id, username = user.Username, iat = now, exp = now + 600 });
        var me = await client.GetAsync("/api/v1/auth/me");
        Assert.Equal(HttpStatusCode.OK, me.Status);
        Assert.Equal(user.Email, me.Data.GetProperty("email").GetString());
    }

    [Theory]
    [InlineData("not.a.jwt")]
    [InlineData("garbage")]
    public async Task Malformed_tokens_are_INVALID_TOKEN(string token)
    {
        using var client = new ApiClient(Server.BaseUrl, useCookies: false) { Bearer = token };
        (await client.GetAsync("/api/v1/auth/me")).AssertError(HttpStatusCode.Unauthorized, "INVALID_TOKEN");
    }

    [Fact]
    public async Task Wrong_secret_unknown_user_and_missing_userId_are_INVALID_TOKEN()
    {
        var user = await Server.NewUserAsync();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using var client = new ApiClient(Server.BaseUrl, useCookies: false);

        client.Bearer = RavenTestServer.SignJwt(new { userId = user.Id, username = user.Username, iat = now, exp = now + 600 }, "another-secret");
        (await client.GetAsync("/api/v1/auth/me")).AssertError(HttpStatusCode.Unauthorized, "INVALID_TOKEN");

        client.Bearer = RavenTestServer.SignJwt(new { userId = "0123456789abcdef01234567", username = "ghost", iat = now, exp = now + 600 });
        (await client.GetAsync("/api/v1/auth/me")).AssertError(HttpStatusCode.Unauthorized, "INVALID_TOKEN");

        client.Bearer = RavenTestServer.SignJwt(new { username = user.Username, iat = now, exp = now + 600 });
        (await client.GetAsync("/api/v1/auth/me")).AssertError(HttpStatusCode.Unauthorized, "INVALID_TOKEN");

        // alg=none must never pass.
        var parts = RavenTestServer.SignJwt(new { userId = user.Id, iat = now, exp = now + 600 }).Split('.');
        var noneHeader = Convert.ToBase64String("{\"alg\":\"none\",\"typ\":\"JWT\"}"u8.ToArray()).TrimEnd('=');
        client.Bearer = $"{noneHeader}.{parts[1]}.";
        (await client.GetAsync("/api/v1/auth/me")).AssertError(HttpStatusCode.Unauthorized, "INVALID_TOKEN");
    }

    [Fact]
    public async Task Refresh_rotates_both_cookies_and_reuse_of_a_rotated_token_revokes_the_family()
    {
        var user = await Server.NewUserAsync();
        var firstRefresh = user.Client.CookieValue("refreshToken")!;
        var firstAccess = user.Client.CookieValue("accessToken")!;

        var refreshed = await user.Client.PostAsync("/api/v1/auth/refresh");
        Assert.Equal(HttpStatusCode.OK, refreshed.Status);
        Assert.True(refreshed.Body.GetProperty("success").GetBoolean());
        Assert.Contains(refreshed.SetCookies, c => c.StartsWith("accessToken=", StringComparison.Ordinal));
        var secondRefresh = user.Client.CookieValue("refreshToken")!;
        Assert.NotEqual(firstRefresh, secondRefresh);
        Assert.NotNull(user.Client.CookieValue("accessToken"));
        Assert.Equal(HttpStatusCode.OK, (await user.Client.GetAsync("/api/v1/auth/me")).Status);
        _ = firstAccess;

        // An attacker replays the first (already rotated) token: refused, and the family is revoked...
        using var attacker = new ApiClient(Server.BaseUrl, useCookies: false);
        (await attacker.PostAsync("/api/v1/auth/refresh", new { refreshToken = firstRefresh })).AssertError(HttpStatusCode.Unauthorized);

        // ...so the legitimate, newer token is dead too, and its cookies are removed.
        var dead = await user.Client.PostAsync("/api/v1/auth/refresh");
        dead.AssertError(HttpStatusCode.Unauthorized, "INVALID_REFRESH_TOKEN");
        Assert.Contains(dead.SetCookies, c => c.StartsWith("refreshToken=;", StringComparison.Ordinal));
        Assert.Null(user.Client.CookieValue("refreshToken"));
    }

    [Fact]
    public async Task Refresh_without_a_token_or_with_an_unknown_one_is_401()
    {
        using var client = Server.NewClient();
        (await client.PostAsync("/api/v1/auth/refresh")).AssertError(HttpStatusCode.Unauthorized, "AUTHENTICATION_REQUIRED");
        (await client.PostAsync("/api/v1/auth/refresh", new { refreshToken = "nope" })).AssertError(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Signout_clears_both_cookies_and_revokes_the_refresh_token()
    {
        var user = await Server.NewUserAsync();
        var refreshToken = user.Client.CookieValue("refreshToken")!;

        var signout = await user.Client.PostAsync("/api/v1/auth/signout");
        Assert.Equal(HttpStatusCode.OK, signout.Status);
        Assert.Contains(signout.SetCookies, c => c.StartsWith("accessToken=;", StringComparison.Ordinal) && c.Contains("expires=Thu, 01 Jan 1970", StringComparison.Ordinal));
        Assert.Contains(signout.SetCookies, c => c.StartsWith("refreshToken=;", StringComparison.Ordinal));
        Assert.Null(user.Client.CookieValue("accessToken"));

        // A fresh load is logged out...
        (await user.Client.GetAsync("/api/v1/auth/me")).AssertError(HttpStatusCode.Unauthorized);
        // ...and the old refresh token cannot bring the session back.
        using var other = new ApiClient(Server.BaseUrl, useCookies: false);
        (await other.PostAsync("/api/v1/auth/refresh", new { refreshToken })).AssertError(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Strong_and_weak_secrets_both_issue_tokens_that_validate()
    {
        foreach (var secret in new[] { "dev", new string('k', 64) })
        {
            var keys = new JwtKeys(secret);
            Assert.Equal(secret.Length < 32, keys.IsWeak);
            var handler = new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler();
            var token = handler.CreateToken(new Microsoft.IdentityModel.Tokens.SecurityTokenDescriptor
            {
                Claims = new Dictionary<string, object> { ["userId"] = "0123456789abcdef01234567" },
                Expires = DateTime.UtcNow.AddMinutes(5),
                SigningCredentials = keys.SigningCredentials,
            });
            var validator = new Raven.Server.Auth.AccessTokenValidator(
                keys, chat: null!, new RavenServerOptions(), new SessionRevocations(TimeProvider.System, TimeSpan.FromDays(1)));
            var result = await validator.ValidateSignatureAndLifetimeAsync(token);
            Assert.True(result.Success, result.ErrorMessage);
            Assert.Equal("0123456789abcdef01234567", result.UserId);

            // And one signed the way jsonwebtoken does validates as well.
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var foreign = RavenTestServer.SignJwt(new { userId = "0123456789abcdef01234567", iat = now, exp = now + 60 }, secret);
            Assert.True((await validator.ValidateSignatureAndLifetimeAsync(foreign)).Success);
            var tampered = foreign[..^2] + (foreign[^2] == 'A' ? "BB" : "AA");
            Assert.Equal("INVALID_TOKEN", (await validator.ValidateSignatureAndLifetimeAsync(tampered)).ErrorCode);
        }
    }

    private static byte[] Base64UrlDecode(string value)
    {
        var s = value.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='));
    }
}
