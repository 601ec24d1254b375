using System.Net;
using Raven.Server.Realtime;
using Raven.SocketIO;
using Microsoft.Extensions.DependencyInjection;

namespace Raven.Server.Tests.Realtime;

/// <summary>The original web client's flows: cookie-authenticated direct WebSocket, friends, presence, REST + sockets.</summary>
public sealed class ClientFlowTests(RealtimeFixture fixture) : SharedServerTests(fixture)
{
    /// <summary>What erion-raven's web client sends: no auth payload, the cookie on a direct WebSocket.</summary>
    private Task<Raven.Testing.SocketIOTestClient> ConnectWithCookieAsync(ChatUser user, string transport = "websocket", string? origin = null)
    {
        // Lower-case "cookie": with withCredentials engine.io-client (Node) rebuilds headers.cookie from that key.
        var headers = new Dictionary<string, string> { ["cookie"] = $"refreshToken=abc; accessToken={user.Token}" };
        if (origin is not null)
        {
            headers["Origin"] = origin;
        }

        return OpenAsync(new { transports = new[] { transport }, withCredentials = true, forceNew = true, reconnection = false, extraHeaders = headers });
    }

    [Theory]
    [InlineData("websocket")]
    [InlineData("polling")]
    public async Task Cookie_of_the_handshake_request_authenticates_without_an_auth_payload(string transport)
    {
        var user = await UserAsync();
        var client = await ConnectWithCookieAsync(user, transport);
        await client.WaitForConnectAsync();
        Assert.Equal(transport, await client.GetTransportAsync());
        await SyncAsync(client);
    }

    [Fact]
    public async Task Token_sources_are_tried_in_order_auth_token_then_cookie_then_bearer_header()
    {
        var alice = await UserAsync();
        var bob = await UserAsync();
        var other = await UserAsync();
        var conversation = await GroupAsync(alice, other);

        // auth.token wins over the cookie: alice's token in auth, bob's cookie -> the socket is alice's.
        var first = await OpenAsync(new
        {
            auth = new { token = alice.Token },
            transports = new[] { "websocket" },
            forceNew = true,
            reconnection = false,
            extraHeaders = new Dictionary<string, string> { ["cookie"] = $"accessToken={bob.Token}", ["Authorization"] = $"Bearer {bob.Token}" },
        });
        await first.WaitForConnectAsync();
        Assert.Equal(alice.Id, Id(await JoinAsync(first, conversation), "user_id"));

        // The cookie wins over the header.
        var second = await OpenAsync(new
        {
            transports = new[] { "websocket" },
            forceNew = true,
            reconnection = false,
            extraHeaders = new Dictionary<string, string> { ["cookie"] = $"accessToken={alice.Token}", ["Authorization"] = $"Bearer {bob.Token}" },
        });
        await second.WaitForConnectAsync();
        Assert.Equal(alice.Id, Id(await JoinAsync(second, conversation), "user_id"));

        // The header alone works.
        var third = await OpenAsync(new
        {
            transports = new[] { "websocket" },
            forceNew = true,
            reconnection = false,
            extraHeaders = new Dictionary<string, string> { ["Authorization"] = $"Bearer {bob.Token}" },
        });
        await third.WaitForConnectAsync();
        await third.EmitAsync("join_conversation", new { conversation_id = conversation });
        Assert.Equal("PERMISSION_DENIED", Id(await WaitForErrorAsync(third), "code"));

        // auth.token in header form ("Bearer <jwt>") is accepted too.
        var prefixed = await OpenAsync(new { auth = new { token = $"Bearer {bob.Token}" }, transports = new[] { "websocket" }, forceNew = true, reconnection = false });
        await prefixed.WaitForConnectAsync();

        // A bad cookie is reported as such (it is the token that was presented).
        var bad = await ConnectWithCookieAsync(alice with { Token = "garbage" });
        Assert.Equal("INVALID_TOKEN", (await bad.WaitForConnectErrorAsync()).Message);
    }

    [Fact]
    public async Task Cookie_from_a_foreign_browser_origin_does_not_authenticate()
    {
        var user = await UserAsync();
        var foreign = await ConnectWithCookieAsync(user, origin: "http://evil.example");
        Assert.Equal("AUTHENTICATION_REQUIRED", (await foreign.WaitForConnectErrorAsync()).Message);

        // Same host and port but another scheme is another origin (an http page must not use an https site's cookie).
        var otherScheme = await ConnectWithCookieAsync(user, origin: Server.BaseUrl.Replace("http://", "https://", StringComparison.Ordinal));
        Assert.Equal("AUTHENTICATION_REQUIRED", (await otherScheme.WaitForConnectErrorAsync()).Message);

        // The server's own origin is fine (same-origin deployment).
        var own = await ConnectWithCookieAsync(user, origin: Server.BaseUrl);
        await own.WaitForConnectAsync();
    }

    [Fact]
    public async Task Original_client_flow_friend_request_accept_dm_chat_both_ways_and_history_after_reload()
    {
        var alice = await UserAsync("alice");
        var bob = await UserAsync("bob");

        // Alice is online (cookie socket, heartbeat right after connect as the client does).
        var a = await ConnectWithCookieAsync(alice);
        await a.WaitForConnectAsync();
        await a.EmitAsync("heartbeat", new { timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() });

        Assert.Equal(HttpStatusCode.Created, (await alice.Api.PostAsync("/api/v1/friends/requests", new { toUserId = bob.Id })).Status);
        var received = (await bob.Api.GetAsync("/api/v1/friends/requests")).Data.GetProperty("received");
        var requestId = Id(received.EnumerateArray().Single(), "id");
        var accepted = await bob.Api.PostAsync($"/api/v1/friends/requests/{requestId}/accept");
        Assert.Equal(HttpStatusCode.OK, accepted.Status);
        var conversation = Id(accepted.Data, "conversationId")!;

        // Bob comes online: alice, his friend, hears it.
        var b = await ConnectWithCookieAsync(bob);
        await b.WaitForConnectAsync();
        var online = (await a.WaitForEventAsync("friend_status_changed", predicate: e => Id(e.Arg(0), "user_id") == bob.Id)).Arg(0);
        Assert.Equal("online", Id(online, "status"));
        Assert.False(string.IsNullOrEmpty(Id(online, "timestamp")));
        var statuses = (await alice.Api.GetAsync("/api/v1/friends/online-status")).Data.GetProperty("statuses");
        Assert.True(statuses.GetProperty(bob.Id).GetBoolean());

        await JoinAsync(a, conversation);
        await JoinAsync(b, conversation);

        // Exactly what the client emits.
        await a.EmitAsync("send_message", new { conversation_id = conversation, text = "hi bob", url = (string?)null, fileName = (string?)null });
        var atBob = (await WaitForMessageAsync(b, "hi bob")).Arg(0);
        Assert.Equal(alice.Id, Id(atBob, "senderId"));
        await WaitForMessageAsync(a, "hi bob");
        await b.EmitAsync("send_message", new { conversation_id = conversation, text = "hi alice", url = (string?)null, fileName = (string?)null });
        var atAlice = (await WaitForMessageAsync(a, "hi alice")).Arg(0);
        Assert.Equal(bob.Id, Id(atAlice, "senderId"));

        // Switching conversations: leave, wait for left_conversation.
        await a.EmitAsync("leave_conversation", new { conversation_id = conversation });
        await a.WaitForEventAsync("left_conversation");

        // Reload: history over REST, newest first, same ids as delivered live.
        var history = (await alice.Api.GetAsync($"/api/v1/messages/conversation/{conversation}?limit=20")).Data;
        Assert.Equal(new[] { Id(atAlice, "id"), Id(atBob, "id") }, history.EnumerateArray().Select(m => Id(m, "id")));
        Assert.Equal(new[] { "hi alice", "hi bob" }, history.EnumerateArray().Select(m => Id(m, "text")));
        Assert.Equal(Id(atBob, "createdAt"), Id(history[1], "createdAt"));
    }

    [Fact]
    public async Task User_is_online_while_any_socket_is_connected_and_offline_after_the_last_closes()
    {
        var watcher = await UserAsync("watch");
        var tabs = await UserAsync("tabs");
        var stranger = await UserAsync("stranger");
        // A co-participant hears presence too (no friendship needed).
        await GroupAsync(tabs, watcher);
        var w = await ConnectAsync(watcher);
        var s = await ConnectAsync(stranger);
        var tracker = Server.Services.GetRequiredService<IPresenceTracker>();
        var presence = Server.Services.GetRequiredService<IPresenceService>();

        var tab1 = await ConnectAsync(tabs);
        var online = (await w.WaitForEventAsync("friend_status_changed", predicate: e => Id(e.Arg(0), "user_id") == tabs.Id)).Arg(0);
        Assert.Equal("online", Id(online, "status"));
        var tab2 = await ConnectAsync(tabs, "polling");
        Assert.True(presence.IsOnline(tabs.Id));

        // Closing one tab keeps the user online and announces nothing.
        await tab1.DisconnectAsync();
        await WaitForSocketCountAsync(tabs.Id, 1);
        Assert.True(presence.IsOnline(tabs.Id));
        await SyncAsync(w);
        Assert.Single(w.EventsNamed("friend_status_changed"), e => Id(e.Arg(0), "user_id") == tabs.Id);

        // Heartbeats refresh last-seen.
        var before = tracker.GetLastSeen(tabs.Id);
        await Task.Delay(20);
        await SyncAsync(tab2);
        Assert.True(tracker.GetLastSeen(tabs.Id) > before);

        // The last tab closes: offline, announced once.
        await tab2.DisconnectAsync();
        var offline = (await w.WaitForEventAsync("friend_status_changed", predicate: e => Id(e.Arg(0), "user_id") == tabs.Id)).Arg(0);
        Assert.Equal("offline", Id(offline, "status"));
        Assert.False(presence.IsOnline(tabs.Id));

        // Someone with no relation to the user hears nothing.
        await SyncAsync(s);
        Assert.Empty(s.EventsNamed("friend_status_changed"));
    }

    [Fact]
    public async Task Rest_send_broadcasts_new_message_and_rest_delete_broadcasts_message_deleted()
    {
        var alice = await UserAsync();
        var bob = await UserAsync();
        var conversation = await GroupAsync(alice, bob);
        var a = await ConnectAsync(alice);
        await JoinAsync(a, conversation);

        var sent = await bob.Api.PostAsync($"/api/v1/messages/conversation/{conversation}", new { text = "over http" });
        Assert.Equal(HttpStatusCode.Created, sent.Status);
        var live = (await WaitForMessageAsync(a, "over http")).Arg(0);
        Assert.Equal(Id(sent.Data, "id"), Id(live, "id"));
        Assert.Equal(bob.Id, Id(live, "senderId"));
        Assert.Equal(Id(sent.Data, "createdAt"), Id(live, "createdAt"));

        // Same shape as a socket-sent message.
        var viaSocket = await SendAsync(a, conversation, "over socket");
        Assert.Equal(
            viaSocket.EnumerateObject().Select(p => p.Name).Order(),
            live.EnumerateObject().Select(p => p.Name).Order());

        Assert.Equal(HttpStatusCode.OK, (await bob.Api.DeleteAsync($"/api/v1/messages/{Id(live, "id")}")).Status);
        var deleted = (await a.WaitForEventAsync("message_deleted")).Arg(0);
        Assert.Equal(Id(live, "id"), Id(deleted, "id"));
        Assert.Equal(conversation, Id(deleted, "conversationId"));
    }

    private async Task WaitForSocketCountAsync(string userId, int count)
    {
        var io = Server.Services.GetRequiredService<SocketIOServer>();
        var deadline = DateTime.UtcNow + Raven.Testing.NodeDriver.DefaultTimeout;
        while (true)
        {
            var sockets = await io.In("user:" + userId).FetchSocketsAsync();
            if (sockets.Count == count)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"user {userId} still has {sockets.Count} sockets");
            await Task.Delay(20);
        }
    }
}
