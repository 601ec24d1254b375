using System.Collections.Concurrent;
using Raven.Chat.Internal.Storage;

namespace Raven.Chat.Tests;

/// <summary>
/// Several service instances over one database, each with its own store (pool, writer loop, group commit), as
/// several server nodes would have: concurrent sends, and readers catching up with <c>after</c> while writes land.
/// </summary>
public abstract class MultiNodeStoreTests(StoreKind store) : ChatTestBase(store)
{
    private const int Nodes = 3;
    private const int SendersPerNode = 4;
    private const int MessagesPerSender = 15;

    [Fact]
    public async Task Concurrent_sends_on_several_nodes_are_all_stored_and_after_paging_misses_none()
    {
        var nodes = new List<(ChatDatabase Database, ChatService Service)> { (Chat.Database, Service) };
        for (int i = 1; i < Nodes; i++)
        {
            nodes.Add(Chat.NewNode());
        }

        try
        {
            User[] users = await Chat.UsersAsync([.. Enumerable.Range(0, Nodes * SendersPerNode).Select(i => $"user{i:00}")]);
            Conversation group = await Chat.GroupAsync(users[0], users[1..]);
            Message start = await Service.SendMessageAsync(users[0].Id, group.Id, new NewMessage("start", null, null));

            var acknowledged = new ConcurrentDictionary<string, Message>();
            using var sendersDone = new CancellationTokenSource();
            Task<List<Message>> reader = Task.Run(() => CatchUpUntilAsync(nodes[^1].Service, users[^1].Id, group.Id, start.Id, sendersDone.Token));

            Task[] senders = [.. Enumerable.Range(0, users.Length).Select(u => Task.Run(async () =>
            {
                ChatService node = nodes[u % Nodes].Service;
                for (int m = 0; m < MessagesPerSender; m++)
                {
                    Message sent = await node.SendMessageAsync(users[u].Id, group.Id, new NewMessage($"{u}:{m}", null, null));
                    Assert.True(acknowledged.TryAdd(sent.Id, sent));
                }
            }))];
            await Task.WhenAll(senders);
            await sendersDone.CancelAsync();
            List<Message> seen = await reader;

            int total = users.Length * MessagesPerSender;
            Assert.Equal(total, acknowledged.Count);
            Assert.Equal(total + 1, Chat.Scalar("SELECT COUNT(*) FROM messages"));
            // The reader only ever moved forward from its newest message: a message committed "behind" its cursor
            // would never have been seen. It saw every one exactly once.
            Assert.Equal(total, seen.Count);
            Assert.Equal(acknowledged.Keys.Order(StringComparer.Ordinal), seen.Select(m => m.Id).Order(StringComparer.Ordinal));
            // Per sender, history order is send order.
            foreach (IGrouping<string, Message> bySender in seen.GroupBy(m => m.SenderId))
            {
                Assert.Equal(
                    bySender.Select(m => int.Parse(m.Text!.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture)),
                    Enumerable.Range(0, MessagesPerSender));
            }

            // Scrolling back with before gives the same history, newest first.
            Assert.Equal(seen.Select(m => m.Id).Reverse().Append(start.Id), await ScrollBackAsync(Service, users[1].Id, group.Id));
            // Everyone else's messages are unread for users[0], none lost to a race between the unread increments.
            Assert.Equal(total - MessagesPerSender, (await Service.ListConversationsAsync(users[0].Id)).Single().UnreadCount);
        }
        finally
        {
            foreach ((ChatDatabase database, _) in nodes.Skip(1))
            {
                await database.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Ids from different processes do not sort by commit time (each has its own random part, and clocks drift),
    /// so a message another node stores with a smaller id must still come after the cursor it was committed after.
    /// </summary>
    [Fact]
    public async Task A_later_message_with_a_smaller_id_from_another_node_is_not_skipped_by_after()
    {
        User[] users = await Chat.UsersAsync("alice", "bobby");
        Conversation dm = await Chat.DirectAsync(users[0], users[1]);
        Message cursor = await Service.SendMessageAsync(users[0].Id, dm.Id, new NewMessage("first", null, null));
        DateTimeOffset skewed = cursor.CreatedAt.AddMinutes(-5);
        // What a node with another process part and a clock five minutes behind would produce.
        string otherNodeId = "00000000" + cursor.Id[8..];
        var late = new Message(otherNodeId, dm.Id, users[1].Id, "bobby", null, "second", null, null, skewed, skewed);
        Assert.True(await Chat.Database.Store.WriteAsync(db => db.InsertMessageAsync(late), CancellationToken.None));
        Assert.True(string.CompareOrdinal(late.Id, cursor.Id) < 0);

        IReadOnlyList<Message> after = await Service.GetMessagesAsync(users[0].Id, dm.Id, new HistoryQuery(20, null, cursor.Id));
        Assert.Equal(["second"], after.Select(m => m.Text));
        Assert.Equal(["second", "first"], (await Service.GetMessagesAsync(users[0].Id, dm.Id, new HistoryQuery(20, null, null))).Select(m => m.Text));
        Assert.Equal("second", (await Service.ListConversationsAsync(users[0].Id)).Single().LastMessage?.Text);
    }

    /// <summary>Group commit: one outsider's failing send in the same burst neither fails nor delays the others' results.</summary>
    [Fact]
    public async Task A_burst_of_sends_with_one_outsider_stores_exactly_the_members_messages()
    {
        User[] users = await Chat.UsersAsync("alice", "bobby", "carol", "oscar");
        Conversation group = await Chat.GroupAsync(users[0], users[1], users[2]);
        var sends = new List<Task<Message>>();
        for (int i = 0; i < 60; i++)
        {
            User sender = users[i % 4];
            sends.Add(Task.Run(() => Service.SendMessageAsync(sender.Id, group.Id, new NewMessage($"m{i}", null, null))));
        }

        int stored = 0, denied = 0;
        foreach (Task<Message> send in sends)
        {
            try
            {
                Message message = await send;
                // Stored before the call returned: another connection already sees it.
                Assert.Equal(1, Chat.Scalar($"SELECT COUNT(*) FROM messages WHERE id = '{message.Id}'"));
                Assert.Equal("m", message.Text![..1]);
                Assert.False(string.IsNullOrEmpty(message.SenderName));
                stored++;
            }
            catch (ChatException ex) when (ex.Kind == ChatErrorKind.PermissionDenied)
            {
                denied++;
            }
        }

        Assert.Equal((45, 15), (stored, denied));
        Assert.Equal(45, Chat.Scalar("SELECT COUNT(*) FROM messages"));
        Assert.Equal(0, Chat.Scalar($"SELECT COUNT(*) FROM messages WHERE sender_id = '{users[3].Id}'"));
        // Sequence numbers are dense: 1..45 with no holes left by the rolled-back outsider sends.
        Assert.Equal(45, Chat.Scalar($"SELECT MAX(seq) FROM messages WHERE conversation_id = '{group.Id}'"));
        Assert.Equal(45, Chat.Scalar($"SELECT last_seq FROM conversations WHERE id = '{group.Id}'"));
    }

    private static async Task<List<Message>> CatchUpUntilAsync(ChatService node, string userId, string conversationId, string cursor, CancellationToken done)
    {
        var seen = new List<Message>();
        while (true)
        {
            bool sendersWereDone = done.IsCancellationRequested;
            IReadOnlyList<Message> page = await node.GetMessagesAsync(userId, conversationId, new HistoryQuery(7, null, cursor));
            // Pages come newest first; the catch-up cursor is the newest.
            seen.AddRange(page.Reverse());
            if (page.Count > 0)
            {
                cursor = page[0].Id;
            }

            // A short page from a read that began after every send was acknowledged: fully caught up.
            if (page.Count < 7 && sendersWereDone)
            {
                return seen;
            }
        }
    }

    private static async Task<List<string>> ScrollBackAsync(ChatService service, string userId, string conversationId)
    {
        var ids = new List<string>();
        string? before = null;
        while (true)
        {
            IReadOnlyList<Message> page = await service.GetMessagesAsync(userId, conversationId, new HistoryQuery(50, before, null));
            ids.AddRange(page.Select(m => m.Id));
            if (page.Count < 50)
            {
                return ids;
            }

            before = page[^1].Id;
        }
    }
}

public sealed class SqliteMultiNodeStoreTests() : MultiNodeStoreTests(StoreKind.Sqlite);

public sealed class PostgresMultiNodeStoreTests() : MultiNodeStoreTests(StoreKind.Postgres);
