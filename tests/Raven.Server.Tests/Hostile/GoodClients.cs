using Raven.Testing;

namespace Raven.Server.Tests.Hostile;

/// <summary>Well-behaved users of the official socket.io-client, the bystanders that hostile tests must leave alone.</summary>
internal static class GoodClients
{
    public static readonly TimeSpan AckTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Connects over <paramref name="transport"/> only and joins <paramref name="conversation"/>.</summary>
    public static async Task<SocketIOTestClient> ConnectAsync(NodeDriver node, HostileServer server, string token, string transport, string conversation)
    {
        var client = await node.ConnectAsync(server.BaseUrl, new { auth = new { token }, transports = new[] { transport }, forceNew = true, reconnection = false });
        await client.WaitForConnectAsync();
        var joined = (await client.EmitWithAckAsync("join_conversation", AckTimeout, new { conversation_id = conversation })).Single();
        Assert.True(joined.GetProperty("ok").GetBoolean(), joined.ToString());
        return client;
    }
}

/// <summary>Alice (WebSocket) and Bob (polling) take turns: each message is acknowledged and reaches the other.</summary>
internal sealed class GoodConversation(SocketIOTestClient alice, SocketIOTestClient bob, string conversationId)
{
    private int _exchanged;

    public int Exchanged => Volatile.Read(ref _exchanged);

    public async Task ExchangeAsync(string text)
    {
        var (sender, receiver) = Exchanged % 2 == 0 ? (alice, bob) : (bob, alice);
        var ack = (await sender.EmitWithAckAsync("send_message", GoodClients.AckTimeout, new { conversation_id = conversationId, text })).Single();
        Assert.True(ack.GetProperty("ok").GetBoolean(), $"'{text}' was refused: {ack}");
        await receiver.WaitForEventAsync("new_message", GoodClients.AckTimeout, e => e.Arg(0).GetProperty("text").GetString() == text);
        Interlocked.Increment(ref _exchanged);
    }

    /// <summary>Fails when either side has seen a disconnect.</summary>
    public void AssertNeitherDisconnected(string context)
    {
        foreach (var good in new[] { alice, bob })
        {
            Assert.True(good.EventsNamed("disconnect").Count == 0, $"{context}: a well-behaved client was disconnected: {good.DescribeEvents()}");
        }
    }
}
