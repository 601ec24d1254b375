using System.Net;
using Raven.Server.Tests.Infrastructure;
using Raven.Testing;

namespace Raven.Server.Tests.Realtime;

/// <summary>A server with small socket limits (events, sockets per user) and its own driver.</summary>
public sealed class SmallLimitsFixture : RealtimeFixture
{
    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["SOCKET_EVENTS_PER_SECOND"] = "1",
        ["SOCKET_EVENT_BURST"] = "3",
        ["SOCKET_RATE_LIMIT_DISCONNECT_AFTER"] = "15",
        ["MAX_SOCKETS_PER_USER"] = "2",
    };
}

/// <summary>Issue 6 #5 (event rate limit, sockets per user) through the official client.</summary>
public sealed class SocketLimitTests(SmallLimitsFixture fixture) : OwnServerTests<SmallLimitsFixture>(fixture)
{
    [Fact]
    public async Task An_event_flood_gets_RATE_LIMITED_errors_and_acks_then_a_disconnect()
    {
        var user = await UserAsync();
        var client = await ConnectAsync(user);
        for (var i = 0; i < 5; i++)
        {
            await client.EmitAsync("heartbeat", new { timestamp = i });
        }

        var error = await client.WaitForEventAsync("error", predicate: e => Id(e.Arg(0), "code") == "RATE_LIMITED");
        Assert.False(string.IsNullOrEmpty(Id(error.Arg(0), "message")));
        var ack = (await client.EmitWithAckAsync("heartbeat", NodeDriver.DefaultTimeout, new { timestamp = 0 })).Single();
        Assert.False(ack.GetProperty("ok").GetBoolean());
        Assert.Equal("RATE_LIMITED", Id(ack.GetProperty("error"), "code"));

        // Persistent abuse: the socket is disconnected by the server.
        for (var i = 0; i < 30; i++)
        {
            await client.EmitAsync("send_message", new { conversation_id = NewObjectId(), text = "spam" });
        }

        Assert.Equal("io server disconnect", await client.WaitForDisconnectAsync());
    }

    [Fact]
    public async Task Sockets_per_user_are_capped_with_a_clear_connect_error()
    {
        var user = await UserAsync();
        var first = await ConnectAsync(user);
        await ConnectAsync(user, "polling");
        var refused = await ConnectErrorAsync(new { auth = new { token = user.Token }, transports = new[] { "websocket" }, forceNew = true, reconnection = false });
        Assert.Equal("TOO_MANY_SOCKETS", refused.Message);
        Assert.Contains("too many open connections", refused.Data.GetProperty("message").GetString());

        // Another user is not affected, and closing a socket frees a place.
        await ConnectAsync(await UserAsync());
        await first.DisconnectAsync();
        var deadline = DateTime.UtcNow + NodeDriver.DefaultTimeout;
        while (true)
        {
            var retry = await OpenAsync(new { auth = new { token = user.Token }, transports = new[] { "websocket" }, forceNew = true, reconnection = false });
            var outcome = await retry.WaitForAnyAsync(e => e.Name is "connect" or "connect_error", "connect or connect_error");
            if (outcome.Name == "connect")
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, "the freed place was never given back");
            await Task.Delay(100);
        }
    }
}

/// <summary>Issue 6 #7 on the default server: revocation reaches sockets, expiry ends them (#9, join vs removal: JoinRemovalRaceTests).</summary>
public sealed class SocketRevocationTests(RealtimeFixture fixture) : SharedServerTests(fixture)
{
    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    [Fact]
    public async Task A_socket_is_disconnected_when_its_token_expires_and_cannot_reconnect_with_it()
    {
        var user = await UserAsync();
        var token = RavenTestServer.SignJwt(new { userId = user.Id, username = user.Username, iat = Now, exp = Now + 2 });
        var client = await OpenAsync(new { auth = new { token }, transports = new[] { "websocket" }, forceNew = true, reconnection = false });
        await client.WaitForConnectAsync();

        // exp + the 5 s validation skew: the old server let such a socket send messages indefinitely.
        Assert.Equal("io server disconnect", await client.WaitForDisconnectAsync(TimeSpan.FromSeconds(30)));
        var expired = client.EventsNamed("error").Select(e => Id(e.Arg(0), "code"));
        Assert.Contains("TOKEN_EXPIRED", expired);
        var again = await ConnectErrorAsync(new { auth = new { token }, transports = new[] { "websocket" }, forceNew = true, reconnection = false });
        Assert.Equal("TOKEN_EXPIRED", again.Message);
    }

    [Fact]
    public async Task A_password_change_disconnects_the_other_devices_sockets_and_keeps_this_one()
    {
        var user = await UserAsync();
        using var laptop = Server.NewClient();
        Assert.Equal(HttpStatusCode.OK, (await laptop.PostAsync("/api/v1/auth/signin", new { email = user.User.Email, password = user.User.Password })).Status);
        var laptopToken = laptop.CookieValue("accessToken")!;
        var laptopSocket = await ConnectAsync(new ChatUser(user.User with { Client = laptop }, laptopToken));
        var thisTab = await ConnectAsync(user);

        var change = await user.Api.PutAsync("/api/v1/users/profile", new { password = "N3w-Passw0rd!", currentPassword = user.User.Password });
        Assert.Equal(HttpStatusCode.OK, change.Status);

        Assert.Equal("io server disconnect", await laptopSocket.WaitForDisconnectAsync());
        (await laptop.PostAsync("/api/v1/auth/refresh")).AssertError(HttpStatusCode.Unauthorized);
        var again = await ConnectErrorAsync(new { auth = new { token = laptopToken }, transports = new[] { "websocket" }, forceNew = true, reconnection = false });
        Assert.Equal("TOKEN_EXPIRED", again.Message);
        await SyncAsync(thisTab);
    }

    [Fact]
    public async Task Sign_out_disconnects_the_sockets_of_that_session_only()
    {
        var user = await UserAsync();
        using var phone = Server.NewClient();
        Assert.Equal(HttpStatusCode.OK, (await phone.PostAsync("/api/v1/auth/signin", new { email = user.User.Email, password = user.User.Password })).Status);
        var phoneSocket = await ConnectAsync(new ChatUser(user.User with { Client = phone }, phone.CookieValue("accessToken")!));
        var tab = await ConnectAsync(user);

        Assert.Equal(HttpStatusCode.OK, (await user.Api.PostAsync("/api/v1/auth/signout")).Status);
        Assert.Equal("io server disconnect", await tab.WaitForDisconnectAsync());
        await SyncAsync(phoneSocket);
    }
}
