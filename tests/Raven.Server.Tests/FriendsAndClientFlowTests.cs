using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Raven.Server.Tests.Infrastructure;

namespace Raven.Server.Tests;

/// <summary>Presence the test controls (the realtime layer's seam).</summary>
public sealed class SetPresence : IPresenceService
{
    public ConcurrentDictionary<string, bool> Online { get; } = new();

    public bool IsOnline(string userId) => Online.ContainsKey(userId);
}

public sealed class FriendsFixture : IAsyncLifetime
{
    public SetPresence Presence { get; } = new();

    public RavenTestServer Server { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Server = await RavenTestServer.StartAsync(configure: b => b.Services.AddSingleton<IPresenceService>(Presence));

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

public sealed class FriendsAndClientFlowTests(FriendsFixture fixture) : IClassFixture<FriendsFixture>
{
    private RavenTestServer Server => fixture.Server;

    /// <summary>What the original erion-raven web client does, call by call, over REST.</summary>
    [Fact]
    public async Task Web_client_flow_signup_signin_search_befriend_accept_list_chat_and_page_history()
    {
        var tag = "flow" + Guid.NewGuid().ToString("N")[..6];
        using var alice = Server.NewClient();
        using var bob = Server.NewClient();
        Assert.Equal(HttpStatusCode.Created, (await alice.PostAsync("/api/v1/auth/signup", new { username = tag + "alice", email = $"{tag}alice@example.com", password = "secret1" })).Status);
        Assert.Equal(HttpStatusCode.Created, (await bob.PostAsync("/api/v1/auth/signup", new { username = tag + "bob", email = $"{tag}bob@example.com", password = "secret2" })).Status);
        Assert.Equal(HttpStatusCode.OK, (await alice.PostAsync("/api/v1/auth/signin", new { email = $"{tag}alice@example.com", password = "secret1" })).Status);
        Assert.Equal(HttpStatusCode.OK, (await bob.PostAsync("/api/v1/auth/signin", new { email = $"{tag}bob@example.com", password = "secret2" })).Status);

        // checkAuth: /auth/me then /users/profile.
        var aliceId = (await alice.GetAsync("/api/v1/auth/me")).Data.GetProperty("id").GetString()!;
        var bobId = (await bob.GetAsync("/api/v1/users/profile")).Data.GetProperty("id").GetString()!;

        var search = await alice.GetAsync($"/api/v1/users/search?username={tag}b");
        var found = Assert.Single(search.Body.EnumerateArray());
        Assert.Equal(bobId, found.GetProperty("id").GetString());

        var request = await alice.PostAsync("/api/v1/friends/requests", new { toUserId = bobId });
        Assert.Equal(HttpStatusCode.Created, request.Status);
        var again = await alice.PostAsync("/api/v1/friends/requests", new { toUserId = bobId });
        Assert.True((int)again.Status >= 400, again.Body.ToString());
        Assert.False(string.IsNullOrEmpty(again.Body.GetProperty("message").GetString()));

        var received = (await bob.GetAsync("/api/v1/friends/requests")).Data.GetProperty("received");
        var pending = Assert.Single(received.EnumerateArray());
        Assert.Equal($"{tag}alice@example.com", pending.GetProperty("fromUser").GetProperty("email").GetString());
        Assert.Equal("pending", pending.GetProperty("status").GetString());
        var sent = (await alice.GetAsync("/api/v1/friends/requests")).Data.GetProperty("sent");
        Assert.Single(sent.EnumerateArray());

        var accepted = await bob.PostAsync($"/api/v1/friends/requests/{pending.GetProperty("id").GetString()}/accept");
        Assert.Equal(HttpStatusCode.OK, accepted.Status);
        var conversationId = accepted.Data.GetProperty("conversationId").GetString()!;
        Assert.Equal(24, conversationId.Length);
        Assert.Empty((await bob.GetAsync("/api/v1/friends/requests")).Data.GetProperty("received").EnumerateArray());

        var friends = (await alice.GetAsync("/api/v1/friends")).Data;
        var friend = Assert.Single(friends.EnumerateArray());
        Assert.Equal(bobId, friend.GetProperty("friend").GetProperty("id").GetString());
        Assert.Equal(bobId, friend.GetProperty("friendId").GetString());

        var aliceList = (await alice.GetAsync("/api/v1/conversations")).Data.GetProperty("direct");
        var dm = Assert.Single(aliceList.EnumerateArray());
        Assert.Equal(conversationId, dm.GetProperty("id").GetString());
        Assert.Equal($"{tag}bob@example.com", dm.GetProperty("name").GetString());
        Assert.Equal(bobId, dm.GetProperty("otherUserId").GetString());
        var bobDm = Assert.Single((await bob.GetAsync("/api/v1/conversations")).Data.GetProperty("direct").EnumerateArray());
        Assert.Equal($"{tag}alice@example.com", bobDm.GetProperty("name").GetString());

        var header = await bob.GetAsync($"/api/v1/conversations/{conversationId}");
        Assert.Equal(2, header.Data.GetProperty("members").GetArrayLength());

        for (var i = 0; i < 25; i++)
        {
            var client = i % 2 == 0 ? alice : bob;
            Assert.Equal(HttpStatusCode.Created, (await client.PostAsync($"/api/v1/messages/conversation/{conversationId}", new { text = $"msg {i}", url = (string?)null, fileName = (string?)null })).Status);
        }

        Assert.Equal(HttpStatusCode.OK, (await alice.PostAsync($"/api/v1/conversations/{conversationId}/read", new { })).Status);

        // The client's paging: limit=20, then before = the oldest item's id while a page is full.
        var seen = new List<string>();
        string? before = null;
        while (true)
        {
            var page = await bob.GetAsync($"/api/v1/messages/conversation/{conversationId}?limit=20" + (before is null ? "" : $"&before={before}"));
            var items = page.Data.EnumerateArray().ToList();
            seen.AddRange(items.Select(m => m.GetProperty("text").GetString()!));
            if (items.Count < 20)
            {
                break;
            }

            before = items[^1].GetProperty("id").GetString();
        }

        Assert.Equal(Enumerable.Range(0, 25).Reverse().Select(i => $"msg {i}"), seen);

        var signout = await alice.PostAsync("/api/v1/auth/signout");
        Assert.Equal(HttpStatusCode.OK, signout.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await alice.GetAsync("/api/v1/auth/me")).Status);
        _ = aliceId;
    }

    [Fact]
    public async Task Decline_and_friend_request_validation()
    {
        var alice = await Server.NewUserAsync();
        var bob = await Server.NewUserAsync();
        var request = await alice.Client.PostAsync("/api/v1/friends/requests", new { toUserId = bob.Id });
        var id = request.Data.GetProperty("id").GetString();

        (await alice.Client.PostAsync($"/api/v1/friends/requests/{id}/accept")).AssertError(HttpStatusCode.Forbidden);
        var declined = await bob.Client.PostAsync($"/api/v1/friends/requests/{id}/decline");
        Assert.Equal(HttpStatusCode.OK, declined.Status);
        Assert.Equal("declined", declined.Data.GetProperty("status").GetString());
        Assert.Empty((await bob.Client.GetAsync("/api/v1/friends")).Data.EnumerateArray());

        (await alice.Client.PostAsync("/api/v1/friends/requests", new { toUserId = "nope" })).AssertError(HttpStatusCode.BadRequest);
        (await alice.Client.PostAsync("/api/v1/friends/requests", new { })).AssertError(HttpStatusCode.BadRequest);
        (await alice.Client.PostAsync("/api/v1/friends/requests", new { toUserId = "0123456789abcdef01234567" })).AssertError(HttpStatusCode.NotFound);
        (await alice.Client.PostAsync("/api/v1/friends/requests/0123456789abcdef01234567/accept")).AssertError(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Online_status_lists_each_friend_with_the_presence_answer()
    {
        var alice = await Server.NewUserAsync();
        var bob = await Server.NewUserAsync();
        var carol = await Server.NewUserAsync();
        foreach (var friend in new[] { bob, carol })
        {
            var id = (await alice.Client.PostAsync("/api/v1/friends/requests", new { toUserId = friend.Id })).Data.GetProperty("id").GetString();
            Assert.Equal(HttpStatusCode.OK, (await friend.Client.PostAsync($"/api/v1/friends/requests/{id}/accept")).Status);
        }

        fixture.Presence.Online[bob.Id] = true;
        var status = await alice.Client.GetAsync("/api/v1/friends/online-status");
        Assert.True(status.Body.GetProperty("success").GetBoolean());
        var statuses = status.Data.GetProperty("statuses");
        Assert.True(statuses.GetProperty(bob.Id).GetBoolean());
        Assert.False(statuses.GetProperty(carol.Id).GetBoolean());
        Assert.Equal(2, statuses.EnumerateObject().Count());
    }
}
