using System.Text.Json;
using Raven.Server.Tests.Infrastructure;
using Raven.Testing;

namespace Raven.Server.Tests.MultiNode;

/// <summary>What the multi-node tests do with official JS clients and the REST API, whichever node they talk to.</summary>
internal static class ClusterClients
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    /// <summary>A group conversation owned by <paramref name="owner"/> with <paramref name="members"/>.</summary>
    public static async Task<string> GroupAsync(TestUser owner, params TestUser[] members)
    {
        var response = await owner.Client.PostAsync("/api/v1/conversations", new
        {
            name = "room " + Guid.NewGuid().ToString("N")[..6],
            type = "group",
            userIds = members.Select(m => m.Id).ToArray(),
        });
        Assert.Equal(System.Net.HttpStatusCode.Created, response.Status);
        return response.Data.GetProperty("id").GetString()!;
    }

    /// <summary>A WebSocket-only client of the node at <paramref name="baseUrl"/>, signed in as <paramref name="user"/>, without auto-reconnect.</summary>
    public static async Task<SocketIOTestClient> ConnectAsync(NodeDriver clients, string baseUrl, TestUser user)
    {
        var client = await clients.ConnectAsync(baseUrl, new
        {
            auth = new { token = user.Client.CookieValue("accessToken") },
            transports = new[] { "websocket" },
            forceNew = true,
            reconnection = false,
        });
        await client.WaitForConnectAsync(Wait);
        return client;
    }

    public static async Task JoinAsync(SocketIOTestClient client, string conversationId)
    {
        await client.EmitAsync("join_conversation", new { conversation_id = conversationId });
        await client.WaitForEventAsync("joined_conversation", Wait, e => Field(e, "conversation_id") == conversationId);
    }

    public static string? Text(DriverEvent e) => Field(e, "text");

    public static string? Field(DriverEvent e, string name) =>
        e.Args.Length > 0 && e.Arg(0).ValueKind == JsonValueKind.Object && e.Arg(0).TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()
            : null;
}
