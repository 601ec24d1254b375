using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Text;
using Raven.Server.Tests.Infrastructure;

namespace Raven.Server.Tests;

public sealed class PlatformTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private RavenTestServer Server => fixture.Server;

    [Fact]
    public async Task Healthz_reports_ok_after_checking_the_database()
    {
        using var client = Server.NewClient();
        var health = await client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.Status);
        Assert.Equal("nosniff", health.Raw.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("ok", health.Body.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Live_and_ready_probes_report_their_checks()
    {
        using var client = Server.NewClient();
        var live = await client.GetAsync("/healthz/live");
        Assert.Equal(HttpStatusCode.OK, live.Status);
        Assert.Equal("ok", live.Body.GetProperty("status").GetString());
        Assert.Empty(live.Body.GetProperty("checks").EnumerateObject());

        var ready = await client.GetAsync("/healthz/ready");
        Assert.Equal(HttpStatusCode.OK, ready.Status);
        Assert.Equal("ok", ready.Body.GetProperty("checks").GetProperty("chat-store").GetString());
        Assert.Equal("ok", ready.Body.GetProperty("checks").GetProperty("not-stopping").GetString());
    }

    [Fact]
    public async Task Metrics_endpoint_is_off_unless_METRICS_ENABLED()
    {
        using var http = new HttpClient { BaseAddress = new Uri(Server.BaseUrl) };
        using var response = await http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task A_failing_ready_check_makes_ready_503_while_live_stays_200()
    {
        // How another dependency (e.g. Redis) joins readiness: a health check tagged "ready".
        await using var server = await RavenTestServer.StartAsync(configure: builder => builder.Services.AddHealthChecks()
            .AddCheck("dependency", () => Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy("down"), tags: ["ready"]));
        using var client = server.NewClient();
        var ready = await client.GetAsync("/healthz/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.Status);
        Assert.Equal("unhealthy", ready.Body.GetProperty("status").GetString());
        Assert.Equal("unhealthy", ready.Body.GetProperty("checks").GetProperty("dependency").GetString());
        Assert.Equal("ok", ready.Body.GetProperty("checks").GetProperty("chat-store").GetString());
        Assert.DoesNotContain("down", ready.Body.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz/live")).Status);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/healthz")).Status);
    }

    [Fact]
    public async Task Api_docs_are_off_outside_Development_unless_enabled()
    {
        using var http = new HttpClient { BaseAddress = new Uri(Server.BaseUrl) };
        foreach (var path in new[] { "/openapi/v1.json", "/docs" })
        {
            using var response = await http.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
    }

    [Fact]
    public async Task OpenApi_document_and_docs_page_are_served_with_API_DOCS()
    {
        await using var server = await RavenTestServer.StartAsync(new Dictionary<string, string> { ["API_DOCS"] = "true" });
        using var client = server.NewClient();
        var doc = await client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, doc.Status);
        var paths = doc.Body.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/v1/auth/signin", out _));
        Assert.True(paths.TryGetProperty("/api/v1/messages/conversation/{id}", out _));
        // Error responses are documented with the envelope.
        var me = paths.GetProperty("/api/v1/auth/me").GetProperty("get").GetProperty("responses");
        Assert.True(me.TryGetProperty("401", out _));
        Assert.True(me.TryGetProperty("200", out _));

        using var http = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        using var docs = await http.GetAsync("/docs");
        var html = await docs.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
        Assert.Contains("<html", html, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("{\"email\":")]
    [InlineData("not json at all")]
    [InlineData("[1,2,3]")]
    public async Task Malformed_json_is_a_400_envelope_without_internals(string body)
    {
        using var client = Server.NewClient();
        var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/signin")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        });
        response.AssertError(HttpStatusCode.BadRequest);
        var text = response.Body.ToString();
        Assert.DoesNotContain("   at ", text);
        Assert.DoesNotContain("Exception", text);
    }

    [Fact]
    public async Task Missing_body_and_wrong_content_type_are_client_errors()
    {
        using var client = Server.NewClient();
        (await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/signup"))).AssertError(HttpStatusCode.BadRequest);
        var form = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/signup")
        {
            Content = new StringContent("a=b", Encoding.UTF8, "application/x-www-form-urlencoded"),
        });
        Assert.True(form.Status is HttpStatusCode.BadRequest or HttpStatusCode.UnsupportedMediaType, form.Status.ToString());
        Assert.False(form.Body.GetProperty("success").GetBoolean());
    }

    [Fact]
    public async Task Unknown_api_routes_and_methods_get_the_error_envelope()
    {
        var user = await Server.NewUserAsync();
        (await user.Client.GetAsync("/api/v1/nothing-here")).AssertError(HttpStatusCode.NotFound);
        (await user.Client.PostAsync("/api/v1/auth/me")).AssertError(HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task Oversized_json_bodies_are_rejected()
    {
        using var client = Server.NewClient();
        var huge = new string('a', 2 * 1024 * 1024);
        // Expect: 100-continue makes the client wait for the server's verdict before streaming 2 MB: without it the
        // server may answer 413 and close while the client still writes, and the test sees "broken pipe" instead.
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/signup")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { username = huge, email = "x@example.com", password = "Passw0rd" }),
        };
        request.Content.Headers.ContentLength = (await request.Content.ReadAsByteArrayAsync()).Length;
        request.Headers.ExpectContinue = true;
        var response = await client.SendAsync(request);
        response.AssertError(HttpStatusCode.RequestEntityTooLarge);
    }
}
