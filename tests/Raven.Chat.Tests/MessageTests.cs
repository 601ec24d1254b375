namespace Raven.Chat.Tests;

public abstract class MessageTests(StoreKind store) : ChatTestBase(store)
{
    private User _a = null!;
    private User _b = null!;
    private User _c = null!;
    private Conversation _group = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        User[] users = await Chat.UsersAsync("alice", "bobby", "carol");
        (_a, _b, _c) = (users[0], users[1], users[2]);
        _group = await Chat.GroupAsync(_a, _b, _c);
    }

    [Fact]
    public async Task Send_stores_before_returning_and_bumps_others_unread()
    {
        Message m = await Service.SendMessageAsync(_a.Id, _group.Id, new NewMessage("hello", null, null));
        Assert.True(ObjectIds.IsValid(m.Id));
        Assert.Equal((_group.Id, _a.Id, "alice", "hello"), (m.ConversationId, m.SenderId, m.SenderName, m.Text));
        Assert.Null(m.Url);
        Assert.Null(m.FileName);
        Assert.Equal(m.CreatedAt, m.UpdatedAt);
        Assert.Equal(m, await Service.GetMessageAsync(_b.Id, m.Id));
        Assert.Equal([m], await Service.GetMessagesAsync(_c.Id, _group.Id, new HistoryQuery(20, null, null)));

        Assert.Equal(0, await Unread(_a));
        Assert.Equal(1, await Unread(_b));
        Assert.Equal(1, await Unread(_c));
    }

    [Fact]
    public async Task Send_carries_sender_avatar()
    {
        await Service.UpdateProfileAsync(_a.Id, new ProfileUpdate(null, "https://x.example/a.png", null, null));
        Message m = await Service.SendMessageAsync(_a.Id, _group.Id, new NewMessage("x", null, null));
        Assert.Equal("https://x.example/a.png", m.SenderAvatar);
        Assert.Equal("https://x.example/a.png", (await Service.GetMessageAsync(_b.Id, m.Id)).SenderAvatar);
    }

    [Theory]
    [InlineData(null, "https://cdn.example.com/f.pdf", "f.pdf")]
    [InlineData(null, "/uploads/f.pdf", null)]
    [InlineData(null, "http://127.0.0.1:8080/a?b=c", null)]
    [InlineData(null, null, "only-a-name.txt")]
    [InlineData("  padded  ", null, null)]
    [InlineData("multi\nline", "", "")]
    public async Task Send_accepts_valid_shapes(string? text, string? url, string? fileName)
    {
        Message m = await Service.SendMessageAsync(_a.Id, _group.Id, new NewMessage(text, url, fileName));
        Assert.Equal(text, m.Text);
        Assert.Equal(string.IsNullOrEmpty(url) ? null : url, m.Url);
        Assert.Equal(string.IsNullOrEmpty(fileName) ? null : fileName, m.FileName);
    }

    [Theory]
    [InlineData(null, null, null)]
    [InlineData("", " ", "\t")]
    [InlineData(null, "javascript:alert(1)", null)]
    [InlineData(null, "data:text/html,hi", null)]
    [InlineData(null, "ftp://example.com/f", null)]
    [InlineData(null, "//evil.example/x", null)]
    [InlineData(null, "relative/path", null)]
    [InlineData(null, "https://exa mple.com", null)]
    [InlineData(null, null, "bad\u0000name")]
    public async Task Send_rejects_invalid_content_and_stores_nothing(string? text, string? url, string? fileName)
    {
        await Expect.Fails(ChatErrorKind.Validation, () => Service.SendMessageAsync(_a.Id, _group.Id, new NewMessage(text, url, fileName)));
        Assert.Equal(0, Chat.Scalar("SELECT COUNT(*) FROM messages"));
        Assert.Equal(0, await Unread(_b));
    }

    [Fact]
    public async Task Send_enforces_length_limits()
    {
        await Service.SendMessageAsync(_a.Id, _group.Id, new NewMessage(new string('t', 5000), null, null));
        await Expect.Fails(ChatErrorKind.Validation, () => Service.SendMessageAsync(_a.Id, _group.Id, new NewMessage(new string('t', 5001), null, null)));
        await Service.SendMessageAsync(_a.Id, _group.Id, new NewMessage(null, "https://e.com/" + new string('u', 2048 - 14), null));
        await Expect.Fails(ChatErrorKind.Validation, () => Service.SendMessageAsync(_a.Id, _group.Id, new NewMessage(null, "https://e.com/" + new string('u', 2048 - 13), null)));
        await Service.SendMessageAsync(_a.Id, _group.Id, new NewMessage(null, null, new string('f', 255)));
        await Expect.Fails(ChatErrorKind.Validation, () => Service.SendMessageAsync(_a.Id, _group.Id, new NewMessage(null, null, new string('f', 256))));
        await Expect.Fails(ChatErrorKind.Validation, () => Service.SendMessageAsync(_a.Id, _group.Id, null!));
        Assert.Equal(3, Chat.Scalar("SELECT COUNT(*) FROM messages"));
    }

    [Fact]
    public async Task Max_message_length_is_configurable()
    {
        var small = new ChatService(Chat.Database, Microsoft.Extensions.Options.Options.Create(new ChatOptions { MaxMessageLength = 10 }));
        await small.SendMessageAsync(_a.Id, _group.Id, new NewMessage("0123456789", null, null));
        await Expect.Fails(ChatErrorKind.Validation, () => small.SendMessageAsync(_a.Id, _group.Id, new NewMessage("0123456789a", null, null)));
    }

    [Fact]
    public async Task Send_to_unknown_or_deleted_conversation_or_as_outsider_stores_nothing()
    {
        User outsider = await Chat.UserAsync("oscar");
        await Service.SendMessageAsync(_a.Id, _group.Id, new NewMessage("before", null, null));
        int unreadBefore = await Unread(_b);

        await Expect.Fails(ChatErrorKind.PermissionDenied, () => Service.SendMessageAsync(outsider.Id, _group.Id, new NewMessage("x", null, null)));
        await Expect.Fails(ChatErrorKind.NotFound, () => Service.SendMessageAsync(_a.Id, ObjectIds.NewId(), new NewMessage("x", null, null)));
        await Expect.Fails(ChatErrorKind.Validation, () => Service.SendMessageAsync(_a.Id, "zz", new NewMessage("x", null, null)));

        long activityBefore = Chat.Scalar($"SELECT last_activity_at FROM conversations WHERE id = '{_group.Id}'");
        await Service.DeleteConversationAsync(_a.Id, _group.Id);
        await Expect.Fails(ChatErrorKind.NotFound, () => Service.SendMessageAsync(_b.Id, _group.Id, new NewMessage("x", null, null)));

        Assert.Equal(1, Chat.Scalar("SELECT COUNT(*) FROM messages"));
        Assert.Equal(unreadBefore, Chat.Scalar($"SELECT unread_count FROM participants WHERE user_id = '{_b.Id}'"));
        Assert.Equal(activityBefore, Chat.Scalar($"SELECT last_activity_at FROM conversations WHERE id = '{_group.Id}'"));
    }

    [Fact]
    public async Task History_pages_backwards_without_gaps()
    {
        List<Message> sent = await SendMany(_a, 45);
        var seen = new List<Message>();
        string? before = null;
        while (true)
        {
            var page = await Service.GetMessagesAsync(_b.Id, _group.Id, new HistoryQuery(20, before, null));
            Assert.True(page.Count <= 20);
            AssertNewestFirst(page);
            seen.AddRange(page);
            if (page.Count < 20)
            {
                break;
            }

            before = page[^1].Id;
        }

        Assert.Equal(sent.Select(m => m.Id).Reverse(), seen.Select(m => m.Id));
    }

    [Fact]
    public async Task History_after_catches_up_oldest_first_pages_presented_newest_first()
    {
        List<Message> sent = await SendMany(_a, 25);
        var page = await Service.GetMessagesAsync(_b.Id, _group.Id, new HistoryQuery(10, null, sent[4].Id));
        Assert.Equal(sent.Skip(5).Take(10).Select(m => m.Id).Reverse(), page.Select(m => m.Id));

        page = await Service.GetMessagesAsync(_b.Id, _group.Id, new HistoryQuery(10, null, page[0].Id));
        Assert.Equal(sent.Skip(15).Take(10).Select(m => m.Id).Reverse(), page.Select(m => m.Id));
        Assert.Empty(await Service.GetMessagesAsync(_b.Id, _group.Id, new HistoryQuery(10, null, sent[^1].Id)));
    }

    [Fact]
    public async Task History_limit_rules()
    {
        await SendMany(_a, 25);
        Assert.Equal(20, (await Service.GetMessagesAsync(_b.Id, _group.Id, new HistoryQuery(0, null, null))).Count);
        Assert.Single(await Service.GetMessagesAsync(_b.Id, _group.Id, new HistoryQuery(1, null, null)));
        Assert.Equal(25, (await Service.GetMessagesAsync(_b.Id, _group.Id, new HistoryQuery(100, null, null))).Count);
        await Expect.Fails(ChatErrorKind.Validation, () => Service.GetMessagesAsync(_b.Id, _group.Id, new HistoryQuery(101, null, null)));
        await Expect.Fails(ChatErrorKind.Validation, () => Service.GetMessagesAsync(_b.Id, _group.Id, new HistoryQuery(-1, null, null)));
        await Expect.Fails(ChatErrorKind.Validation, () => Service.GetMessagesAsync(_b.Id, _group.Id, null!));
    }

    [Fact]
    public async Task History_cursor_rules()
    {
        List<Message> sent = await SendMany(_a, 3);
        Conversation other = await Chat.DirectAsync(_a, _b);
        Message foreign = await Service.SendMessageAsync(_a.Id, other.Id, new NewMessage("elsewhere", null, null));

        await Expect.Fails(ChatErrorKind.Validation, () => Service.GetMessagesAsync(_b.Id, _group.Id, new HistoryQuery(20, "short", null)));
        await Expect.Fails(ChatErrorKind.Validation, () => Service.GetMessagesAsync(_b.Id, _group.Id, new HistoryQuery(20, null, "short")));
        await Expect.Fails(ChatErrorKind.Validation, () => Service.GetMessagesAsync(_b.Id, _group.Id, new HistoryQuery(20, ObjectIds.NewId(), null)));
        await Expect.Fails(ChatErrorKind.Validation, () => Service.GetMessagesAsync(_b.Id, _group.Id, new HistoryQuery(20, foreign.Id, null)));
        await Expect.Fails(ChatErrorKind.Validation, () => Service.GetMessagesAsync(_b.Id, _group.Id, new HistoryQuery(20, null, foreign.Id)));
        await Expect.Fails(ChatErrorKind.Validation, () => Service.GetMessagesAsync(_b.Id, _group.Id, new HistoryQuery(20, sent[2].Id, sent[0].Id)));
        // Empty strings mean "no cursor" (query-string binding often yields them).
        Assert.Equal(3, (await Service.GetMessagesAsync(_b.Id, _group.Id, new HistoryQuery(20, "", ""))).Count);
    }

    [Fact]
    public async Task Deleted_messages_leave_history_but_remain_valid_cursors()
    {
        List<Message> sent = await SendMany(_a, 5);
        Message deleted = await Service.DeleteMessageAsync(_a.Id, sent[2].Id);
        Assert.Equal(sent[2].Id, deleted.Id);
        Assert.True(deleted.UpdatedAt >= sent[2].UpdatedAt);

        var all = await Service.GetMessagesAsync(_b.Id, _group.Id, new HistoryQuery(20, null, null));
        Assert.Equal([sent[4].Id, sent[3].Id, sent[1].Id, sent[0].Id], all.Select(m => m.Id));
        Assert.Equal([sent[1].Id, sent[0].Id], (await Service.GetMessagesAsync(_b.Id, _group.Id, new HistoryQuery(20, sent[2].Id, null))).Select(m => m.Id));
        Assert.Equal([sent[4].Id, sent[3].Id], (await Service.GetMessagesAsync(_b.Id, _group.Id, new HistoryQuery(20, null, sent[2].Id))).Select(m => m.Id));

        await Expect.Fails(ChatErrorKind.NotFound, () => Service.GetMessageAsync(_a.Id, sent[2].Id));
        await Expect.Fails(ChatErrorKind.NotFound, () => Service.DeleteMessageAsync(_a.Id, sent[2].Id));
        Assert.Equal(5, Chat.Scalar("SELECT COUNT(*) FROM messages"));
    }

    [Fact]
    public async Task Last_message_in_list_skips_deleted()
    {
        List<Message> sent = await SendMany(_a, 2);
        await Service.DeleteMessageAsync(_a.Id, sent[1].Id);
        Assert.Equal(sent[0].Id, (await Service.ListConversationsAsync(_b.Id)).Single().LastMessage?.Id);
    }

    [Fact]
    public async Task Delete_message_sender_only()
    {
        Message m = await Service.SendMessageAsync(_a.Id, _group.Id, new NewMessage("mine", null, null));
        await Expect.Fails(ChatErrorKind.PermissionDenied, () => Service.DeleteMessageAsync(_b.Id, m.Id));
        await Expect.Fails(ChatErrorKind.NotFound, () => Service.DeleteMessageAsync(_a.Id, ObjectIds.NewId()));
        await Expect.Fails(ChatErrorKind.Validation, () => Service.DeleteMessageAsync(_a.Id, "x"));
        Assert.Equal(m, await Service.GetMessageAsync(_c.Id, m.Id));
    }

    [Fact]
    public async Task A_former_member_loses_access_to_messages()
    {
        Message m = await Service.SendMessageAsync(_c.Id, _group.Id, new NewMessage("mine", null, null));
        await Service.LeaveConversationAsync(_c.Id, _group.Id);
        await Expect.Fails(ChatErrorKind.PermissionDenied, () => Service.GetMessageAsync(_c.Id, m.Id));
        await Expect.Fails(ChatErrorKind.PermissionDenied, () => Service.DeleteMessageAsync(_c.Id, m.Id));
        await Expect.Fails(ChatErrorKind.PermissionDenied, () => Service.GetMessagesAsync(_c.Id, _group.Id, new HistoryQuery(20, null, null)));
    }

    [Fact]
    public async Task Concurrent_writers_while_paging_lose_nothing_and_duplicate_nothing()
    {
        User d = await Chat.UserAsync("dave1");
        await Service.AddMemberAsync(_a.Id, _group.Id, d.Id);
        User[] writers = [_a, _b, _c, d];
        const int perWriter = 200;

        var collected = new List<string>();
        string? cursor = null;
        async Task CatchUpAsync()
        {
            while (true)
            {
                var page = cursor is null
                    ? await Service.GetMessagesAsync(_a.Id, _group.Id, new HistoryQuery(50, null, null))
                    : await Service.GetMessagesAsync(_a.Id, _group.Id, new HistoryQuery(50, null, cursor));
                if (cursor is null && page.Count > 0)
                {
                    // First read: take what exists (possibly a partial newest page) by paging back to the start.
                    var initial = new List<Message>(page);
                    while (page.Count == 50)
                    {
                        page = await Service.GetMessagesAsync(_a.Id, _group.Id, new HistoryQuery(50, page[^1].Id, null));
                        initial.AddRange(page);
                    }

                    initial.Reverse();
                    collected.AddRange(initial.Select(m => m.Id));
                    cursor = collected[^1];
                    continue;
                }

                AssertNewestFirst(page);
                collected.AddRange(page.Reverse().Select(m => m.Id));
                if (page.Count > 0)
                {
                    cursor = page[0].Id;
                }

                if (page.Count < 50)
                {
                    return;
                }
            }
        }

        var sendTasks = writers.Select(w => Task.Run(async () =>
        {
            var ids = new List<string>(perWriter);
            for (int i = 0; i < perWriter; i++)
            {
                ids.Add((await Service.SendMessageAsync(w.Id, _group.Id, new NewMessage($"{w.Username}-{i}", null, null))).Id);
            }

            return ids;
        })).ToArray();

        Task<List<string>[]> all = Task.WhenAll(sendTasks);
        while (!all.IsCompleted)
        {
            await CatchUpAsync();
        }

        List<string>[] sentIds = await all;
        await CatchUpAsync();

        Assert.Equal(writers.Length * perWriter, collected.Count);
        Assert.Equal(collected.Count, collected.Distinct().Count());
        Assert.Equal(sentIds.SelectMany(x => x).Order(StringComparer.Ordinal), collected);
        foreach (List<string> ids in sentIds)
        {
            // Each writer's own messages are in send order.
            Assert.Equal(ids.Order(StringComparer.Ordinal), ids);
        }

        // Unread counters were bumped exactly once per message from someone else.
        foreach (User w in writers)
        {
            Assert.Equal((writers.Length - 1) * perWriter, await Unread(w));
        }

        // And scrolling back over the finished history also sees every message once.
        var back = new List<string>();
        string? before = null;
        IReadOnlyList<Message> p;
        do
        {
            p = await Service.GetMessagesAsync(_b.Id, _group.Id, new HistoryQuery(100, before, null));
            back.AddRange(p.Select(m => m.Id));
            before = p.Count > 0 ? p[^1].Id : null;
        }
        while (p.Count == 100);
        Assert.Equal(collected.AsEnumerable().Reverse(), back);
    }

    private async Task<List<Message>> SendMany(User sender, int count)
    {
        var sent = new List<Message>(count);
        for (int i = 0; i < count; i++)
        {
            sent.Add(await Service.SendMessageAsync(sender.Id, _group.Id, new NewMessage($"m{i}", null, null)));
        }

        return sent;
    }

    private async Task<int> Unread(User user) =>
        (await Service.ListConversationsAsync(user.Id)).Single(s => s.Conversation.Id == _group.Id).UnreadCount;

    private static void AssertNewestFirst(IReadOnlyList<Message> page)
    {
        for (int i = 1; i < page.Count; i++)
        {
            Assert.True(string.CompareOrdinal(page[i - 1].Id, page[i].Id) > 0, "page is not newest first");
        }
    }
}

public sealed class SqliteMessageTests() : MessageTests(StoreKind.Sqlite);

public sealed class PostgresMessageTests() : MessageTests(StoreKind.Postgres);
