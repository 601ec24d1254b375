using System.Net;
using System.Text.Json;
using Raven.Server.Tests.Infrastructure;

namespace Raven.Server.Tests;

public sealed class UsersApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private RavenTestServer Server => fixture.Server;

    [Fact]
    public async Task Profile_get_and_update_username_and_avatar()
    {
        var user = await Server.NewUserAsync();
        var profile = await user.Client.GetAsync("/api/v1/users/profile");
        Assert.Equal(HttpStatusCode.OK, profile.Status);
        Assert.Equal(user.Id, profile.Data.GetProperty("id").GetString());
        Assert.Equal(JsonValueKind.Null, profile.Data.GetProperty("avatar").ValueKind);

        var newName = user.Username + "z";
        var updated = await user.Client.PutAsync("/api/v1/users/profile", new { username = newName, avatar = "http://127.0.0.1/a.png" });
        Assert.Equal(HttpStatusCode.OK, updated.Status);
        Assert.Equal(newName, updated.Data.GetProperty("username").GetString());
        Assert.Equal("http://127.0.0.1/a.png", updated.Data.GetProperty("avatar").GetString());

        using var anonymous = Server.NewClient();
        (await anonymous.GetAsync("/api/v1/users/profile")).AssertError(HttpStatusCode.Unauthorized);
        (await anonymous.PutAsync("/api/v1/users/profile", new { username = "x" })).AssertError(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Password_change_requires_the_current_password()
    {
        var user = await Server.NewUserAsync();
        (await user.Client.PutAsync("/api/v1/users/profile", new { password = "NewPassw0rd" }))
            .AssertError(HttpStatusCode.BadRequest, "VALIDATION_ERROR");

        var wrong = await user.Client.PutAsync("/api/v1/users/profile", new { password = "NewPassw0rd", currentPassword = "not-it-1" });
        Assert.True(wrong.Status is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized, $"{wrong.Status}: {wrong.Body}");

        var ok = await user.Client.PutAsync("/api/v1/users/profile", new { password = "NewPassw0rd", currentPassword = user.Password });
        Assert.Equal(HttpStatusCode.OK, ok.Status);

        using var client = Server.NewClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsync("/api/v1/auth/signin", new { email = user.Email, password = user.Password })).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/api/v1/auth/signin", new { email = user.Email, password = "NewPassw0rd" })).Status);
    }

    [Fact]
    public async Task Search_returns_a_bare_array_of_at_most_10_case_insensitive_matches()
    {
        var tag = "srch" + Guid.NewGuid().ToString("N")[..6];
        TestUser? first = null;
        for (var i = 0; i < 11; i++)
        {
            var u = await Server.NewUserAsync(tag);
            first ??= u;
        }

        var result = await first!.Client.GetAsync($"/api/v1/users/search?username={tag.ToUpperInvariant()}");
        Assert.Equal(HttpStatusCode.OK, result.Status);
        Assert.Equal(JsonValueKind.Array, result.Body.ValueKind);
        Assert.Equal(10, result.Body.GetArrayLength());
        foreach (var item in result.Body.EnumerateArray())
        {
            Assert.StartsWith(tag, item.GetProperty("username").GetString());
            Assert.True(item.TryGetProperty("email", out _));
            Assert.True(item.TryGetProperty("avatar", out _));
        }

        var exact = await first.Client.GetAsync($"/api/v1/users/search?username={first.Username}");
        Assert.Contains(exact.Body.EnumerateArray(), u => u.GetProperty("id").GetString() == first.Id);

        (await first.Client.GetAsync("/api/v1/users/search?username=a")).AssertError(HttpStatusCode.BadRequest);
        (await first.Client.GetAsync("/api/v1/users/search")).AssertError(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task User_by_id_is_200_404_or_400()
    {
        var alice = await Server.NewUserAsync();
        var bob = await Server.NewUserAsync();
        var found = await alice.Client.GetAsync($"/api/v1/users/{bob.Id}");
        Assert.Equal(bob.Email, found.Data.GetProperty("email").GetString());
        (await alice.Client.GetAsync("/api/v1/users/0123456789abcdef01234567")).AssertError(HttpStatusCode.NotFound);
        (await alice.Client.GetAsync("/api/v1/users/not-an-id")).AssertError(HttpStatusCode.BadRequest);
    }
}
