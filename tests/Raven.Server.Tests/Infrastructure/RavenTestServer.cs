using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Raven.Server;
using Raven.Testing;

namespace Raven.Server.Tests.Infrastructure;

/// <summary>The real server (Kestrel on 127.0.0.1, free port) over a fresh SQLite DATA_DIR; deleted on dispose.</summary>
public sealed class RavenTestServer : IAsyncDisposable
{
    // At least 32 bytes: shorter secrets are refused outside Development.
    public const string JwtSecret = "raven-tests-secret-0123456789abcdef0123456789";

    private static int s_users;

    private RavenTestServer(TestHost host, string dataDirectory)
    {
        Host = host;
        DataDirectory = dataDirectory;
    }

    public TestHost Host { get; }

    public string DataDirectory { get; }

    public string BaseUrl => Host.BaseUrl;

    public IServiceProvider Services => Host.Services;

    /// <summary>Starts a server; <paramref name="settings"/> are extra configuration keys (e.g. CORS_ORIGIN).</summary>
    public static async Task<RavenTestServer> StartAsync(
        IReadOnlyDictionary<string, string>? settings = null, Action<WebApplicationBuilder>? configure = null)
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "raven-rest-tests", Guid.NewGuid().ToString("N"));
        var args = new List<string>
        {
            "--environment=Testing",
            $"--DATA_DIR={dataDirectory}",
            $"--JWT_SECRET={JwtSecret}",
            "--urls=http://127.0.0.1:0",
            "--Logging:LogLevel:Default=Warning",
            // The floor outside Development: the default PBKDF2 cost would dominate test time on 2 cores.
            "--PASSWORD_HASH_ITERATIONS=10000",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            args.Add($"--{key}={value}");
        }

        var app = RavenServerHost.Build([.. args], configure);
        try
        {
            return new RavenTestServer(await TestHost.StartAsync(app), dataDirectory);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>A client with its own cookie jar (a browser).</summary>
    public ApiClient NewClient() => new(BaseUrl);

    /// <summary>Signs up a fresh user and signs the returned client in (cookies set).</summary>
    public Task<TestUser> NewUserAsync(string prefix = "user") => NewUserAsync(BaseUrl, prefix);

    /// <summary>Signs up a fresh user on the server at <paramref name="baseUrl"/> (any node, also a separate process).</summary>
    public static async Task<TestUser> NewUserAsync(string baseUrl, string prefix)
    {
        var n = Interlocked.Increment(ref s_users);
        var username = $"{prefix}{n}x{Random.Shared.Next(1000, 9999)}";
        var email = $"{username}@example.com";
        const string password = "Passw0rd!";
        var client = new ApiClient(baseUrl);
        var signup = await client.PostAsync("/api/v1/auth/signup", new { username, email, password });
        Assert.Equal(HttpStatusCode.Created, signup.Status);
        var signin = await client.PostAsync("/api/v1/auth/signin", new { email, password });
        Assert.Equal(HttpStatusCode.OK, signin.Status);
        return new TestUser(signup.Data.GetProperty("id").GetString()!, username, email, password, client);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may still hold the file for a moment; the temp folder is disposable anyway.
        }
    }

    /// <summary>An HS256 JWT as jsonwebtoken (the original server's library) would sign it.</summary>
    public static string SignJwt(object payload, string secret = JwtSecret)
    {
        static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var header = B64(JsonSerializer.SerializeToUtf8Bytes(new { alg = "HS256", typ = "JWT" }));
        var body = B64(JsonSerializer.SerializeToUtf8Bytes(payload));
        var signature = B64(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes($"{header}.{body}")));
        return $"{header}.{body}.{signature}";
    }
}

public sealed record TestUser(string Id, string Username, string Email, string Password, ApiClient Client);

/// <summary>A parsed response: status, headers and the JSON body (Undefined when empty or not JSON).</summary>
public sealed record ApiResponse(HttpStatusCode Status, HttpResponseMessage Raw, JsonElement Body)
{
    public JsonElement Data => Body.GetProperty("data");

    /// <summary>Asserts the error envelope: success false, numeric code = status, the symbolic error and a message.</summary>
    public void AssertError(HttpStatusCode status, string? error = null)
    {
        Assert.True(Status == status, $"expected {(int)status}, got {(int)Status}: {Body}");
        Assert.False(Body.GetProperty("success").GetBoolean());
        Assert.Equal((int)status, Body.GetProperty("code").GetInt32());
        Assert.False(string.IsNullOrEmpty(Body.GetProperty("message").GetString()));
        if (error is not null)
        {
            Assert.Equal(error, Body.GetProperty("error").GetString());
        }
    }

    public IEnumerable<string> SetCookies =>
        Raw.Headers.TryGetValues("Set-Cookie", out var values) ? values : [];
}

/// <summary>HttpClient with a cookie jar, like the browser running the web client.</summary>
public sealed class ApiClient : IDisposable
{
    private readonly HttpClient _http;

    public ApiClient(string baseUrl, bool useCookies = true)
    {
        Cookies = new CookieContainer();
        _http = new HttpClient(new HttpClientHandler { CookieContainer = Cookies, UseCookies = useCookies, AllowAutoRedirect = false })
        {
            BaseAddress = new Uri(baseUrl),
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    public CookieContainer Cookies { get; }

    public string? Bearer { get; set; }

    /// <summary>A cookie of the jar by name, whatever its path (the refresh token is scoped to /api/v1/auth).</summary>
    public string? CookieValue(string name) => Cookies.GetAllCookies().FirstOrDefault(c => c.Name == name && !c.Expired)?.Value;

    public Task<ApiResponse> GetAsync(string path) => SendAsync(new HttpRequestMessage(HttpMethod.Get, path));

    public Task<ApiResponse> PostAsync(string path, object? body = null) => SendJsonAsync(HttpMethod.Post, path, body);

    public Task<ApiResponse> PutAsync(string path, object? body = null) => SendJsonAsync(HttpMethod.Put, path, body);

    public Task<ApiResponse> DeleteAsync(string path, object? body = null) => SendJsonAsync(HttpMethod.Delete, path, body);

    public Task<ApiResponse> SendJsonAsync(HttpMethod method, string path, object? body)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        return SendAsync(request);
    }

    public async Task<ApiResponse> SendAsync(HttpRequestMessage request)
    {
        if (Bearer is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Bearer);
        }

        var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        JsonElement body = default;
        if (text.Length > 0)
        {
            try
            {
                body = JsonDocument.Parse(text).RootElement.Clone();
            }
            catch (JsonException)
            {
                // Not JSON (e.g. an uploaded file or the docs page): Body stays Undefined.
            }
        }

        return new ApiResponse(response.StatusCode, response, body);
    }

    public void Dispose() => _http.Dispose();
}
