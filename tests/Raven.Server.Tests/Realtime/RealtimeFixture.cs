using System.Net;
using System.Text.Json;
using Raven.Server.Tests.Infrastructure;
using Raven.Testing;

namespace Raven.Server.Tests.Realtime;

/// <summary>
/// One real server and one Node driver for the realtime tests. The default has default settings (MESSAGE_SCOPE=room);
/// a derived fixture overrides <see cref="Settings"/> for a server configured otherwise.
/// </summary>
public class RealtimeFixture : IAsyncLifetime
{
    public RavenTestServer Server { get; private set; } = null!;

    public NodeDriver Node { get; private set; } = null!;

    /// <summary>The server's settings (configuration keys as users set them); null for the defaults.</summary>
    protected virtual IReadOnlyDictionary<string, string>? Settings => null;

    /// <summary>Changes to the host beyond configuration keys (e.g. library options no setting exposes); null for none.</summary>
    protected virtual Action<Microsoft.AspNetCore.Builder.WebApplicationBuilder>? Configure => null;

    public async Task InitializeAsync()
    {
        Server = await RavenTestServer.StartAsync(Settings, Configure);
        Node = await NodeDriver.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (Node is not null)
        {
            await Node.DisposeAsync();
        }

        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class RealtimeCollection : ICollectionFixture<RealtimeFixture>
{
    public const string Name = "realtime";
}

/// <summary>A signed-in user and the access token of its cookie.</summary>
public sealed record ChatUser(TestUser User, string Token)
{
    public string Id => User.Id;

    public string Username => User.Username;

    public ApiClient Api => User.Client;
}

/// <summary>Per-test helpers over a server and a driver; every client a test opens is removed after it.</summary>
public abstract class RealtimeTestBase : IAsyncLifetime
{
    private readonly List<SocketIOTestClient> _clients = [];

    protected abstract RavenTestServer Server { get; }

    protected abstract NodeDriver Node { get; }

    public Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var client in _clients)
        {
            try
            {
                await client.RemoveAsync();
            }
            catch (Exception)
            {
                // Best effort: the driver may be gone already.
            }
        }
    }

    protected async Task<ChatUser> UserAsync(string prefix = "rt")
    {
        var user = await Server.NewUserAsync(prefix);
        var token = user.Client.CookieValue("accessToken");
        Assert.False(string.IsNullOrEmpty(token), "sign-in must set the accessToken cookie");
        return new ChatUser(user, token!);
    }

    protected static async Task<string> GroupAsync(ChatUser owner, params ChatUser[] members)
    {
        var response = await owner.Api.PostAsync("/api/v1/conversations", new
        {
            name = "room " + Guid.NewGuid().ToString("N")[..6],
            type = "group",
            userIds = members.Select(m => m.Id).ToArray(),
        });
        Assert.True(response.Status == HttpStatusCode.Created, response.Body.ToString());
        return response.Data.GetProperty("id").GetString()!;
    }

    /// <summary>Opens a client with explicit options (not waiting for connect).</summary>
    protected async Task<SocketIOTestClient> OpenAsync(object options)
    {
        var client = await Node.ConnectAsync(Server.BaseUrl, options);
        _clients.Add(client);
        return client;
    }

    /// <summary>Connects with <c>auth.token</c> (the seed's way) and waits for <c>connect</c>.</summary>
    protected async Task<SocketIOTestClient> ConnectAsync(ChatUser user, string transport = "websocket")
    {
        var client = await OpenAsync(new { auth = new { token = user.Token }, transports = new[] { transport }, forceNew = true, reconnection = false });
        await client.WaitForConnectAsync();
        return client;
    }

    protected async Task<ConnectError> ConnectErrorAsync(object options)
    {
        var client = await OpenAsync(options);
        var error = await client.WaitForConnectErrorAsync();
        Assert.Empty(client.EventsNamed("connect"));
        return error;
    }

    protected static async Task<JsonElement> JoinAsync(SocketIOTestClient client, string conversationId)
    {
        await client.EmitAsync("join_conversation", new { conversation_id = conversationId });
        var joined = await client.WaitForEventAsync("joined_conversation", predicate: e => Id(e.Arg(0), "conversation_id") == conversationId);
        return joined.Arg(0);
    }

    /// <summary>
    /// A barrier: an acknowledged heartbeat. Events are queued per connection in order, so once its ack is back,
    /// every event the server queued for this client before it has arrived too.
    /// </summary>
    protected static async Task SyncAsync(SocketIOTestClient client)
    {
        var ack = await client.EmitWithAckAsync("heartbeat", NodeDriver.DefaultTimeout, new { timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() });
        Assert.True(ack[0].GetProperty("ok").GetBoolean(), ack[0].ToString());
    }

    /// <summary>Sends with an ack, so the broadcast is queued everywhere once this returns.</summary>
    protected static async Task<JsonElement> SendAsync(SocketIOTestClient client, string conversationId, string text)
    {
        var ack = await client.EmitWithAckAsync("send_message", NodeDriver.DefaultTimeout, new { conversation_id = conversationId, text });
        Assert.True(ack[0].GetProperty("ok").GetBoolean(), ack[0].ToString());
        return ack[0].GetProperty("data");
    }

    protected static Task<DriverEvent> WaitForMessageAsync(SocketIOTestClient client, string text) =>
        client.WaitForEventAsync("new_message", predicate: e => e.Arg(0).TryGetProperty("text", out var t) && t.GetString() == text);

    protected static async Task<JsonElement> WaitForErrorAsync(SocketIOTestClient client) =>
        (await client.WaitForEventAsync("error")).Arg(0);

    protected static string? Id(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    protected static string NewObjectId() => Raven.Chat.ObjectIds.NewId();
}

/// <summary>Tests on the shared default server.</summary>
[Collection(RealtimeCollection.Name)]
public abstract class SharedServerTests(RealtimeFixture fixture) : RealtimeTestBase
{
    protected RealtimeFixture Fixture { get; } = fixture;

    protected override RavenTestServer Server => Fixture.Server;

    protected override NodeDriver Node => Fixture.Node;
}

/// <summary>Tests on a server of their own, configured by <typeparamref name="TFixture"/>.</summary>
public abstract class OwnServerTests<TFixture>(TFixture fixture) : RealtimeTestBase, IClassFixture<TFixture>
    where TFixture : RealtimeFixture
{
    protected override RavenTestServer Server => fixture.Server;

    protected override NodeDriver Node => fixture.Node;
}
