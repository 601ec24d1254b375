using System.Net;
using System.Text.Json;
using Raven.Server.Tests.Infrastructure;

namespace Raven.Server.Tests;

public sealed class ConversationsApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private RavenTestServer Server => fixture.Server;

    [Fact]
    public async Task Group_create_get_update_list_and_delete_by_owner()
    {
        var owner = await Server.NewUserAsync();
        var bob = await Server.NewUserAsync();
        var carol = await Server.NewUserAsync();

        var created = await owner.Client.PostAsync("/api/v1/conversations", new { name = "Team", type = "group", userIds = new[] { bob.Id, carol.Id } });
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var id = created.Data.GetProperty("id").GetString()!;
        Assert.Equal("Team", created.Data.GetProperty("name").GetString());
        Assert.Equal("group", created.Data.GetProperty("type").GetString());
        Assert.Equal(owner.Id, created.Data.GetProperty("ownerId").GetString());
        Assert.Equal(3, created.Data.GetProperty("members").GetArrayLength());

        var details = await bob.Client.GetAsync($"/api/v1/conversations/{id}");
        Assert.Equal(HttpStatusCode.OK, details.Status);
        var memberIds = details.Data.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("id").GetString()).ToHashSet();
        Assert.Equal(new HashSet<string?> { owner.Id, bob.Id, carol.Id }, memberIds);

        var renamed = await owner.Client.PutAsync($"/api/v1/conversations/{id}", new { name = "Team 2" });
        Assert.Equal(HttpStatusCode.OK, renamed.Status);
        Assert.Equal("Team 2", renamed.Data.GetProperty("name").GetString());

        var list = await carol.Client.GetAsync("/api/v1/conversations");
        var group = Assert.Single(list.Data.GetProperty("group").EnumerateArray(), c => c.GetProperty("id").GetString() == id);
        Assert.Equal("Team 2", group.GetProperty("name").GetString());
        Assert.Equal(0, group.GetProperty("unreadCount").GetInt32());
        Assert.Equal(JsonValueKind.Array, list.Data.GetProperty("direct").ValueKind);

        (await bob.Client.DeleteAsync($"/api/v1/conversations/{id}")).AssertError(HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.OK, (await owner.Client.DeleteAsync($"/api/v1/conversations/{id}")).Status);
        (await bob.Client.GetAsync($"/api/v1/conversations/{id}")).AssertError(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Direct_create_names_it_after_the_other_users_email_and_returns_the_existing_dm()
    {
        var alice = await Server.NewUserAsync();
        var bob = await Server.NewUserAsync();

        var first = await alice.Client.PostAsync("/api/v1/conversations", new { type = "direct", userIds = new[] { bob.Id } });
        Assert.Equal(HttpStatusCode.Created, first.Status);
        var id = first.Data.GetProperty("id").GetString();
        Assert.Equal(bob.Email, first.Data.GetProperty("name").GetString());
        Assert.Equal(bob.Id, first.Data.GetProperty("otherUserId").GetString());

        var again = await bob.Client.PostAsync("/api/v1/conversations", new { type = "direct", userIds = new[] { alice.Id } });
        Assert.True(again.Status is HttpStatusCode.Created or HttpStatusCode.OK);
        Assert.Equal(id, again.Data.GetProperty("id").GetString());
        Assert.Equal(alice.Email, again.Data.GetProperty("name").GetString());

        var list = await bob.Client.GetAsync("/api/v1/conversations");
        var dm = Assert.Single(list.Data.GetProperty("direct").EnumerateArray());
        Assert.Equal(alice.Email, dm.GetProperty("name").GetString());
        Assert.Equal(alice.Id, dm.GetProperty("otherUserId").GetString());
        Assert.Equal("direct", dm.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Create_validates_type_user_ids_and_unknown_users()
    {
        var alice = await Server.NewUserAsync();
        (await alice.Client.PostAsync("/api/v1/conversations", new { name = "x", type = "channel", userIds = Array.Empty<string>() })).AssertError(HttpStatusCode.BadRequest);
        (await alice.Client.PostAsync("/api/v1/conversations", new { name = "x", type = "group" })).AssertError(HttpStatusCode.BadRequest);
        (await alice.Client.PostAsync("/api/v1/conversations", new { name = "x", type = "group", userIds = new[] { "bad" } })).AssertError(HttpStatusCode.BadRequest);
        var unknown = await alice.Client.PostAsync("/api/v1/conversations", new { name = "x", type = "group", userIds = new[] { "0123456789abcdef01234567" } });
        Assert.True(unknown.Status is HttpStatusCode.NotFound or HttpStatusCode.BadRequest, unknown.Body.ToString());
    }

    [Fact]
    public async Task Members_can_be_added_removed_and_can_leave()
    {
        var owner = await Server.NewUserAsync();
        var bob = await Server.NewUserAsync();
        var carol = await Server.NewUserAsync();
        var dave = await Server.NewUserAsync();
        var id = (await owner.Client.PostAsync("/api/v1/conversations", new { name = "Club", type = "group", userIds = new[] { bob.Id, carol.Id } }))
            .Data.GetProperty("id").GetString();

        Assert.Equal(HttpStatusCode.OK, (await owner.Client.PostAsync($"/api/v1/conversations/{id}/user", new { userId = dave.Id })).Status);
        Assert.Equal(HttpStatusCode.OK, (await dave.Client.GetAsync($"/api/v1/conversations/{id}")).Status);

        Assert.Equal(HttpStatusCode.OK, (await owner.Client.DeleteAsync($"/api/v1/conversations/{id}/user", new { userId = dave.Id })).Status);
        (await dave.Client.GetAsync($"/api/v1/conversations/{id}")).AssertError(HttpStatusCode.Forbidden);

        Assert.Equal(HttpStatusCode.OK, (await carol.Client.PutAsync($"/api/v1/conversations/{id}/user", new { })).Status);
        (await carol.Client.GetAsync($"/api/v1/conversations/{id}")).AssertError(HttpStatusCode.Forbidden);

        (await owner.Client.PostAsync($"/api/v1/conversations/{id}/user", new { userId = "zzz" })).AssertError(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Unread_count_grows_with_others_messages_and_read_resets_it()
    {
        var alice = await Server.NewUserAsync();
        var bob = await Server.NewUserAsync();
        var id = (await alice.Client.PostAsync("/api/v1/conversations", new { name = "Pair", type = "group", userIds = new[] { bob.Id } }))
            .Data.GetProperty("id").GetString();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await alice.Client.PostAsync($"/api/v1/messages/conversation/{id}", new { text = $"m{i}" })).Status);
        }

        var item = (await bob.Client.GetAsync("/api/v1/conversations")).Data.GetProperty("group").EnumerateArray().Single(c => c.GetProperty("id").GetString() == id);
        Assert.Equal(3, item.GetProperty("unreadCount").GetInt32());
        Assert.Equal("m2", item.GetProperty("lastMessage").GetProperty("text").GetString());

        Assert.Equal(HttpStatusCode.OK, (await bob.Client.PostAsync($"/api/v1/conversations/{id}/read", new { })).Status);
        item = (await bob.Client.GetAsync("/api/v1/conversations")).Data.GetProperty("group").EnumerateArray().Single(c => c.GetProperty("id").GetString() == id);
        Assert.Equal(0, item.GetProperty("unreadCount").GetInt32());
        Assert.Equal(JsonValueKind.String, item.GetProperty("lastReadAt").ValueKind);
    }

    [Fact]
    public async Task Unknown_and_malformed_conversation_ids()
    {
        var alice = await Server.NewUserAsync();
        (await alice.Client.GetAsync("/api/v1/conversations/0123456789abcdef01234567")).AssertError(HttpStatusCode.NotFound);
        (await alice.Client.GetAsync("/api/v1/conversations/123")).AssertError(HttpStatusCode.BadRequest);
        (await alice.Client.GetAsync("/api/v1/messages/conversation/../../etc")).AssertError(HttpStatusCode.NotFound);
    }
}
