using System.Net;
using Raven.Server.Tests.Infrastructure;
using Raven.Testing;

namespace Raven.Server.Tests;

/// <summary>The server with <c>DATABASE_URL</c>: two nodes on one real PostgreSQL (started by the fixture), and an outage.</summary>
public sealed class PostgresHostingTests
{
    [Fact]
    public async Task Two_nodes_share_one_database_and_an_outage_answers_503_until_the_server_is_back()
    {
        await using PostgresServer postgres = await PostgresServer.StartAsync();
        string url = postgres.Url(await postgres.CreateDatabaseAsync("hosting")) + "?connect_timeout=3";
        var settings = new Dictionary<string, string> { ["DATABASE_URL"] = url };
        await using RavenTestServer first = await RavenTestServer.StartAsync(settings);
        await using RavenTestServer second = await RavenTestServer.StartAsync(settings);

        TestUser alice = await first.NewUserAsync("alice");
        // Registered on the first node, signs in on the second: one user table.
        using ApiClient bobbyOnSecond = second.NewClient();
        TestUser bobby = await first.NewUserAsync("bobby");
        Assert.Equal(HttpStatusCode.OK, (await bobbyOnSecond.PostAsync("/api/v1/auth/signin", new { email = bobby.Email, password = bobby.Password })).Status);

        string id = (await alice.Client.PostAsync("/api/v1/conversations", new { name = "Pair", type = "group", userIds = new[] { bobby.Id } }))
            .Data.GetProperty("id").GetString()!;
        Assert.Equal(HttpStatusCode.Created, (await alice.Client.PostAsync($"/api/v1/messages/conversation/{id}", new { text = "one" })).Status);
        ApiResponse history = await bobbyOnSecond.GetAsync($"/api/v1/messages/conversation/{id}");
        Assert.Equal(["one"], history.Data.EnumerateArray().Select(m => m.GetProperty("text").GetString()));
        Assert.False(File.Exists(Path.Combine(first.DataDirectory, "raven.db")), "DATABASE_URL set, yet a SQLite file was created");

        await postgres.StopAsync();
        ApiResponse during = await alice.Client.PostAsync($"/api/v1/messages/conversation/{id}", new { text = "during" });
        during.AssertError(HttpStatusCode.ServiceUnavailable, "SERVICE_UNAVAILABLE");

        await postgres.StartAgainAsync();
        Assert.Equal(HttpStatusCode.Created, (await alice.Client.PostAsync($"/api/v1/messages/conversation/{id}", new { text = "two" })).Status);
        history = await bobbyOnSecond.GetAsync($"/api/v1/messages/conversation/{id}");
        Assert.Equal(["two", "one"], history.Data.EnumerateArray().Select(m => m.GetProperty("text").GetString()));
    }
}
