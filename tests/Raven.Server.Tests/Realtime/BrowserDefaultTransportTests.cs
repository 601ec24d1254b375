using System.Text.Json;
using Raven.Server.Tests.Infrastructure;
using Raven.Testing;

namespace Raven.Server.Tests.Realtime;

/// <summary>
/// The chat server the way a browser's socket.io-client reaches it by default: long-polling first, then the
/// WebSocket upgrade, the accessToken cookie (withCredentials) from an allowed cross-origin page, automatic
/// reconnection; and the handshake's connect_error codes over polling.
/// </summary>
public sealed class BrowserDefaultTransportTests(ParticipantsScopeFixture fixture) : OwnServerTests<ParticipantsScopeFixture>(fixture)
{
    [Fact]
    public async Task Polling_then_upgrade_with_cookie_auth_from_the_cors_origin_and_reconnect_re_authenticates()
    {
        var alice = await UserAsync("browser");
        var bob = await UserAsync("browserbob");
        var conversation = await GroupAsync(alice, bob);
        var client = await OpenAsync(new
        {
            // The browser default: no transports option (polling, then websocket), reconnection on.
            withCredentials = true,
            forceNew = true,
            reconnectionDelay = 100,
            reconnectionDelayMax = 200,
            randomizationFactor = 0,
            extraHeaders = new Dictionary<string, string>
            {
                ["cookie"] = $"accessToken={alice.Token}",
                ["Origin"] = ParticipantsScopeFixture.Origin,
            },
        });
        var firstSid = await client.WaitForConnectAsync();
        Assert.Equal("websocket", (await client.WaitForEventAsync("engine:upgrade")).Arg(0).GetString());
        Assert.Equal("websocket", await client.GetTransportAsync());
        await SendAndSeeAsync(client, conversation, "before reconnect");

        // The engine closes under the client (as on a network drop); it reconnects by itself, over polling again,
        // and the namespace middleware authenticates the new handshake from the cookie.
        await client.CloseEngineAsync();
        await client.WaitForDisconnectAsync();
        await client.WaitForAnyAsync(e => e.Name == "connect" && client.EventsNamed("connect").Count >= 2, "a second connect");
        var status = await client.GetStatusAsync();
        Assert.True(status.GetProperty("connected").GetBoolean(), status.ToString());
        Assert.NotEqual(firstSid, status.GetProperty("id").GetString());
        await SendAndSeeAsync(client, conversation, "after reconnect");
    }

    [Fact]
    public async Task Connect_error_codes_are_the_same_over_polling()
    {
        var user = await UserAsync("pollerr");
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var cases = new (object? Token, string Code)[]
        {
            (null, "AUTHENTICATION_REQUIRED"),
            ("", "AUTHENTICATION_REQUIRED"),
            ("not.a.jwt", "INVALID_TOKEN"),
            (RavenTestServer.SignJwt(new { userId = user.Id, username = user.Username, iat = now - 60, exp = now + 3600 }, "another-secret"), "INVALID_TOKEN"),
            (RavenTestServer.SignJwt(new { userId = user.Id, username = user.Username, iat = now - 7200, exp = now - 3600 }), "TOKEN_EXPIRED"),
            (RavenTestServer.SignJwt(new { userId = NewObjectId(), username = "ghost", iat = now - 60, exp = now + 3600 }), "INVALID_TOKEN"),
        };
        foreach (var (token, code) in cases)
        {
            object options = token is null
                ? new { transports = new[] { "polling" }, forceNew = true, reconnection = false }
                : new { auth = new { token }, transports = new[] { "polling" }, forceNew = true, reconnection = false };
            var error = await ConnectErrorAsync(options);
            Assert.True(code == error.Message, $"{token}: expected {code}, got {error.Message}");
            Assert.Equal(code, error.Data.GetProperty("code").GetString());
        }
    }

    private static async Task SendAndSeeAsync(SocketIOTestClient client, string conversation, string text)
    {
        var ack = (await client.EmitWithAckAsync("send_message", NodeDriver.DefaultTimeout, new { conversation_id = conversation, text })).Single();
        Assert.True(ack.GetProperty("ok").GetBoolean(), ack.ToString());
        // MESSAGE_SCOPE=participants: the sender's own sockets get new_message without joining the room.
        var seen = await WaitForMessageAsync(client, text);
        Assert.Equal(JsonValueKind.Object, seen.Arg(0).ValueKind);
    }
}
