namespace Raven.Chat.Tests;

public abstract class ConversationTests(StoreKind store) : ChatTestBase(store)
{
    [Fact]
    public async Task Create_direct_without_name_and_reuse_it_from_either_side()
    {
        var (a, b) = await Pair();
        Conversation dm = await Service.CreateConversationAsync(a.Id, ConversationType.Direct, null, [b.Id]);
        Assert.Equal(ConversationType.Direct, dm.Type);
        Assert.Equal(a.Id, dm.OwnerId);
        Assert.Equal("", dm.Name);

        Assert.Equal(dm.Id, (await Service.CreateConversationAsync(a.Id, ConversationType.Direct, "named", [b.Id])).Id);
        Assert.Equal(dm.Id, (await Service.CreateConversationAsync(b.Id, ConversationType.Direct, null, [a.Id, a.Id, b.Id])).Id);
        Assert.Equal(1, Chat.Scalar("SELECT COUNT(*) FROM conversations"));

        ConversationDetails seenByA = await Service.GetConversationAsync(a.Id, dm.Id);
        Assert.Equal(b.Email, seenByA.DisplayName);
        Assert.Equal(b.Id, seenByA.OtherUserId);
        Assert.Equal(new[] { a.Id, b.Id }.Order(StringComparer.Ordinal), seenByA.Members.Select(m => m.Id).Order(StringComparer.Ordinal));
        Assert.Equal(a.Email, (await Service.GetConversationAsync(b.Id, dm.Id)).DisplayName);
    }

    [Fact]
    public async Task Create_direct_validation()
    {
        var (a, b) = await Pair();
        User c = await Chat.UserAsync("carol");
        await Expect.Fails(ChatErrorKind.Validation, () => Service.CreateConversationAsync(a.Id, ConversationType.Direct, null, []));
        await Expect.Fails(ChatErrorKind.Validation, () => Service.CreateConversationAsync(a.Id, ConversationType.Direct, null, [a.Id]));
        await Expect.Fails(ChatErrorKind.Validation, () => Service.CreateConversationAsync(a.Id, ConversationType.Direct, null, [b.Id, c.Id]));
        await Expect.Fails(ChatErrorKind.Validation, () => Service.CreateConversationAsync(a.Id, ConversationType.Direct, null, ["nope"]));
        await Expect.Fails(ChatErrorKind.Validation, () => Service.CreateConversationAsync(a.Id, ConversationType.Direct, null, null!));
        await Expect.Fails(ChatErrorKind.Validation, () => Service.CreateConversationAsync(a.Id, (ConversationType)7, "x", [b.Id]));
        await Expect.Fails(ChatErrorKind.NotFound, () => Service.CreateConversationAsync(a.Id, ConversationType.Direct, null, [ObjectIds.NewId()]));
        await Expect.Fails(ChatErrorKind.NotFound, () => Service.CreateConversationAsync(ObjectIds.NewId(), ConversationType.Direct, null, [b.Id]));
        Assert.Equal(0, Chat.Scalar("SELECT COUNT(*) FROM conversations"));
    }

    [Fact]
    public async Task Create_group_makes_creator_owner_and_dedupes_members()
    {
        var (a, b) = await Pair();
        User c = await Chat.UserAsync("carol");
        Conversation g = await Service.CreateConversationAsync(a.Id, ConversationType.Group, "  Team  ", [b.Id, c.Id, b.Id, a.Id]);
        Assert.Equal("Team", g.Name);
        Assert.Equal(a.Id, g.OwnerId);
        Assert.Equal(ConversationType.Group, g.Type);
        var ids = await Service.GetParticipantIdsAsync(g.Id);
        Assert.Equal(3, ids.Count);
        Assert.Equal(a.Id, ids[0]);
        var details = await Service.GetConversationAsync(c.Id, g.Id);
        Assert.Equal("Team", details.DisplayName);
        Assert.Null(details.OtherUserId);
        Assert.Equal(3, details.Members.Count);
    }

    [Fact]
    public async Task Create_group_validation()
    {
        var (a, b) = await Pair();
        await Expect.Fails(ChatErrorKind.Validation, () => Service.CreateConversationAsync(a.Id, ConversationType.Group, null, [b.Id]));
        await Expect.Fails(ChatErrorKind.Validation, () => Service.CreateConversationAsync(a.Id, ConversationType.Group, "  ", [b.Id]));
        await Expect.Fails(ChatErrorKind.Validation, () => Service.CreateConversationAsync(a.Id, ConversationType.Group, new string('n', 101), [b.Id]));
        await Expect.Fails(ChatErrorKind.Validation, () => Service.CreateConversationAsync(a.Id, ConversationType.Group, "g", [a.Id]));
        var tooMany = Enumerable.Range(0, Chat.Options.MaxGroupMembers).Select(_ => ObjectIds.NewId()).ToArray();
        await Expect.Fails(ChatErrorKind.Validation, () => Service.CreateConversationAsync(a.Id, ConversationType.Group, "g", tooMany));
        var missing = ObjectIds.NewId();
        var ex = await Expect.Fails(ChatErrorKind.NotFound, () => Service.CreateConversationAsync(a.Id, ConversationType.Group, "g", [b.Id, missing]));
        Assert.Contains(missing, ex.Details, StringComparison.Ordinal);
        Assert.Equal(0, Chat.Scalar("SELECT COUNT(*) FROM conversations"));
        Assert.Equal(0, Chat.Scalar("SELECT COUNT(*) FROM participants"));

        Assert.Equal(new string('n', 100), (await Service.CreateConversationAsync(a.Id, ConversationType.Group, new string('n', 100), [b.Id])).Name);
    }

    [Fact]
    public async Task List_shows_summaries_ordered_by_activity()
    {
        var (a, b) = await Pair();
        User c = await Chat.UserAsync("carol");
        Conversation dm = await Chat.DirectAsync(a, b);
        Conversation group = await Chat.GroupAsync(a, b, c);
        Conversation other = await Chat.DirectAsync(b, c);

        var list = await Service.ListConversationsAsync(a.Id);
        Assert.Equal([group.Id, dm.Id], list.Select(s => s.Conversation.Id));

        await Service.SendMessageAsync(b.Id, dm.Id, new NewMessage("hi", null, null));
        await Service.SendMessageAsync(b.Id, dm.Id, new NewMessage("there", null, null));
        list = await Service.ListConversationsAsync(a.Id);
        Assert.Equal([dm.Id, group.Id], list.Select(s => s.Conversation.Id));

        ConversationSummary direct = list[0];
        Assert.Equal(b.Email, direct.DisplayName);
        Assert.Equal(b.Id, direct.OtherUserId);
        Assert.Equal(2, direct.UnreadCount);
        Assert.Null(direct.LastReadAt);
        Assert.Equal("there", direct.LastMessage?.Text);
        Assert.Equal("bobby", direct.LastMessage?.SenderName);

        ConversationSummary g = list[1];
        Assert.Equal("group", g.DisplayName);
        Assert.Null(g.OtherUserId);
        Assert.Equal(0, g.UnreadCount);
        Assert.Null(g.LastMessage);

        var forB = await Service.ListConversationsAsync(b.Id);
        Assert.Equal(3, forB.Count);
        Assert.Equal(0, forB.Single(s => s.Conversation.Id == dm.Id).UnreadCount);
        Assert.Equal(c.Email, forB.Single(s => s.Conversation.Id == other.Id).DisplayName);
        Assert.Empty(await Service.ListConversationsAsync(ObjectIds.NewId()));
    }

    [Fact]
    public async Task MarkRead_resets_unread_and_sets_last_read()
    {
        var (a, b) = await Pair();
        Conversation dm = await Chat.DirectAsync(a, b);
        await Service.SendMessageAsync(b.Id, dm.Id, new NewMessage("1", null, null));
        Assert.Equal(1, (await Service.ListConversationsAsync(a.Id))[0].UnreadCount);

        await Service.MarkReadAsync(a.Id, dm.Id);
        ConversationSummary s = (await Service.ListConversationsAsync(a.Id))[0];
        Assert.Equal(0, s.UnreadCount);
        Assert.NotNull(s.LastReadAt);
        Assert.True(s.LastReadAt >= DateTimeOffset.UtcNow.AddMinutes(-5));
        Assert.Null((await Service.ListConversationsAsync(b.Id))[0].LastReadAt);
    }

    [Fact]
    public async Task Update_group_owner_only()
    {
        var (a, b) = await Pair();
        Conversation g = await Chat.GroupAsync(a, b);
        Conversation updated = await Service.UpdateConversationAsync(a.Id, g.Id, "Renamed", "/uploads/g.png");
        Assert.Equal("Renamed", updated.Name);
        Assert.Equal("/uploads/g.png", updated.Avatar);
        Assert.True(updated.UpdatedAt >= g.UpdatedAt);
        Assert.Equal("Renamed", (await Service.GetConversationAsync(b.Id, g.Id)).DisplayName);

        Conversation kept = await Service.UpdateConversationAsync(a.Id, g.Id, null, null);
        Assert.Equal(("Renamed", "/uploads/g.png"), (kept.Name, kept.Avatar));
        Assert.Null((await Service.UpdateConversationAsync(a.Id, g.Id, null, "")).Avatar);

        await Expect.Fails(ChatErrorKind.PermissionDenied, () => Service.UpdateConversationAsync(b.Id, g.Id, "Mine", null));
        await Expect.Fails(ChatErrorKind.Validation, () => Service.UpdateConversationAsync(a.Id, g.Id, " ", null));
        await Expect.Fails(ChatErrorKind.Validation, () => Service.UpdateConversationAsync(a.Id, g.Id, null, "ftp://x/y"));
        Conversation dm = await Chat.DirectAsync(a, b);
        await Expect.Fails(ChatErrorKind.Validation, () => Service.UpdateConversationAsync(a.Id, dm.Id, "dm", null));
    }

    [Fact]
    public async Task Delete_is_owner_only_and_hides_everything()
    {
        var (a, b) = await Pair();
        Conversation g = await Chat.GroupAsync(a, b);
        Message m = await Service.SendMessageAsync(b.Id, g.Id, new NewMessage("hi", null, null));
        await Expect.Fails(ChatErrorKind.PermissionDenied, () => Service.DeleteConversationAsync(b.Id, g.Id));

        await Service.DeleteConversationAsync(a.Id, g.Id);
        Assert.Empty(await Service.ListConversationsAsync(a.Id));
        Assert.Empty(await Service.ListConversationsAsync(b.Id));
        await Expect.Fails(ChatErrorKind.NotFound, () => Service.GetConversationAsync(a.Id, g.Id));
        await Expect.Fails(ChatErrorKind.NotFound, () => Service.EnsureParticipantAsync(b.Id, g.Id));
        await Expect.Fails(ChatErrorKind.NotFound, () => Service.GetParticipantIdsAsync(g.Id));
        await Expect.Fails(ChatErrorKind.NotFound, () => Service.GetMessagesAsync(a.Id, g.Id, new HistoryQuery(20, null, null)));
        await Expect.Fails(ChatErrorKind.NotFound, () => Service.GetMessageAsync(b.Id, m.Id));
        await Expect.Fails(ChatErrorKind.NotFound, () => Service.DeleteConversationAsync(a.Id, g.Id));
        // Soft: the row is still there.
        Assert.Equal(1, Chat.Scalar("SELECT COUNT(*) FROM conversations WHERE deleted_at IS NOT NULL"));
        Assert.Equal(1, Chat.Scalar("SELECT COUNT(*) FROM messages"));
    }

    [Fact]
    public async Task Deleting_a_dm_allows_a_new_one()
    {
        var (a, b) = await Pair();
        Conversation dm = await Chat.DirectAsync(a, b);
        await Service.DeleteConversationAsync(a.Id, dm.Id);
        Conversation fresh = await Chat.DirectAsync(b, a);
        Assert.NotEqual(dm.Id, fresh.Id);
        Assert.Equal(b.Id, fresh.OwnerId);
    }

    [Fact]
    public async Task Add_member_any_participant_group_only()
    {
        var (a, b) = await Pair();
        var (c, d) = (await Chat.UserAsync("carol"), await Chat.UserAsync("dave1"));
        Conversation g = await Chat.GroupAsync(a, b);
        await Service.AddMemberAsync(b.Id, g.Id, c.Id);
        Assert.Contains(c.Id, await Service.GetParticipantIdsAsync(g.Id));
        Assert.Equal(0, (await Service.ListConversationsAsync(c.Id)).Single().UnreadCount);

        await Expect.Fails(ChatErrorKind.Conflict, () => Service.AddMemberAsync(a.Id, g.Id, c.Id));
        await Expect.Fails(ChatErrorKind.NotFound, () => Service.AddMemberAsync(a.Id, g.Id, ObjectIds.NewId()));
        await Expect.Fails(ChatErrorKind.PermissionDenied, () => Service.AddMemberAsync(d.Id, g.Id, d.Id));
        await Expect.Fails(ChatErrorKind.Validation, () => Service.AddMemberAsync(a.Id, g.Id, "x"));
        Conversation dm = await Chat.DirectAsync(a, b);
        await Expect.Fails(ChatErrorKind.Validation, () => Service.AddMemberAsync(a.Id, dm.Id, d.Id));
    }

    [Fact]
    public async Task Group_member_limit_is_a_setting_enforced_on_create_and_add()
    {
        await using TestChat small = await TestChat.CreateAsync(o => o.MaxGroupMembers = 5);
        User owner = await small.UserAsync("owner");
        var others = new List<User>();
        for (int i = 0; i < 5; i++)
        {
            others.Add(await small.UserAsync($"member{i:00}"));
        }

        await Expect.Fails(ChatErrorKind.Validation, () => small.Service.CreateConversationAsync(owner.Id, ConversationType.Group, "too big", others.Select(u => u.Id).ToArray()));
        Conversation g = await small.Service.CreateConversationAsync(owner.Id, ConversationType.Group, "big", others.Take(4).Select(u => u.Id).ToArray());
        Assert.Equal(5, (await small.Service.GetParticipantIdsAsync(g.Id)).Count);
        await Expect.Fails(ChatErrorKind.Validation, () => small.Service.AddMemberAsync(owner.Id, g.Id, others[4].Id));
    }

    [Fact]
    public async Task Default_group_member_limit_is_ten_thousand()
    {
        Assert.Equal(10_000, new ChatOptions().MaxGroupMembers);
        var (a, b) = await Pair();
        // 49 others was the old hard-coded ceiling; the default allows far more (only existing users count).
        Conversation g = await Service.CreateConversationAsync(a.Id, ConversationType.Group, "g", [b.Id]);
        Assert.Equal(2, (await Service.GetParticipantIdsAsync(g.Id)).Count);
    }

    [Fact]
    public async Task An_oversized_member_list_is_refused_before_any_per_member_work()
    {
        User owner = await Chat.UserAsync("owner");
        // More distinct ids than a group may hold, then a malformed one: the size is checked first, so the answer is
        // about the size (the old code de-duplicated the whole list quadratically and then complained about the id).
        var ids = Enumerable.Range(0, Chat.Options.MaxGroupMembers + 1).Select(_ => ObjectIds.NewId()).Append("not-an-id").ToArray();
        ChatException ex = await Expect.Fails(ChatErrorKind.Validation, () => Service.CreateConversationAsync(owner.Id, ConversationType.Group, "huge", ids));
        Assert.Contains("other users", ex.Message);
        ex = await Expect.Fails(ChatErrorKind.Validation, () => Service.CreateConversationAsync(owner.Id, ConversationType.Direct, null, ids));
        Assert.Contains("exactly one other user", ex.Message);
    }

    [Fact]
    public async Task Remove_member_owner_only_or_self()
    {
        var (a, b) = await Pair();
        User c = await Chat.UserAsync("carol");
        Conversation g = await Chat.GroupAsync(a, b, c);
        await Expect.Fails(ChatErrorKind.PermissionDenied, () => Service.RemoveMemberAsync(b.Id, g.Id, c.Id));
        await Service.RemoveMemberAsync(a.Id, g.Id, c.Id);
        Assert.DoesNotContain(c.Id, await Service.GetParticipantIdsAsync(g.Id));
        await Expect.Fails(ChatErrorKind.NotFound, () => Service.RemoveMemberAsync(a.Id, g.Id, c.Id));
        await Expect.Fails(ChatErrorKind.PermissionDenied, () => Service.GetConversationAsync(c.Id, g.Id));

        await Service.RemoveMemberAsync(b.Id, g.Id, b.Id);
        Assert.Equal([a.Id], await Service.GetParticipantIdsAsync(g.Id));
        Conversation dm = await Chat.DirectAsync(a, b);
        await Expect.Fails(ChatErrorKind.Validation, () => Service.RemoveMemberAsync(a.Id, dm.Id, b.Id));
    }

    [Fact]
    public async Task Owner_leaving_passes_ownership_to_oldest_member_and_last_one_deletes()
    {
        var (a, b) = await Pair();
        User c = await Chat.UserAsync("carol");
        Conversation g = await Chat.GroupAsync(a, b);
        await Task.Delay(5);
        await Service.AddMemberAsync(a.Id, g.Id, c.Id);

        await Service.LeaveConversationAsync(a.Id, g.Id);
        Assert.Equal(b.Id, (await Service.GetConversationAsync(b.Id, g.Id)).Conversation.OwnerId);
        await Expect.Fails(ChatErrorKind.PermissionDenied, () => Service.LeaveConversationAsync(a.Id, g.Id));

        await Service.LeaveConversationAsync(c.Id, g.Id);
        Assert.Equal(b.Id, (await Service.EnsureParticipantAsync(b.Id, g.Id)).OwnerId);
        await Service.LeaveConversationAsync(b.Id, g.Id);
        await Expect.Fails(ChatErrorKind.NotFound, () => Service.GetParticipantIdsAsync(g.Id));
    }

    [Fact]
    public async Task Leaving_a_dm_frees_the_pair()
    {
        var (a, b) = await Pair();
        Conversation dm = await Chat.DirectAsync(a, b);
        await Service.LeaveConversationAsync(b.Id, dm.Id);
        Assert.Equal([a.Id], await Service.GetParticipantIdsAsync(dm.Id));
        Assert.Equal(dm.Id, (await Service.ListConversationsAsync(a.Id)).Single().Conversation.Id);
        Assert.Empty(await Service.ListConversationsAsync(b.Id));
        await Expect.Fails(ChatErrorKind.PermissionDenied, () => Service.SendMessageAsync(b.Id, dm.Id, new NewMessage("hi", null, null)));
        Conversation fresh = await Chat.DirectAsync(b, a);
        Assert.NotEqual(dm.Id, fresh.Id);
    }

    [Fact]
    public async Task Ensure_participant_and_participant_ids()
    {
        var (a, b) = await Pair();
        User c = await Chat.UserAsync("carol");
        Conversation g = await Chat.GroupAsync(a, b);
        Assert.Equal(g.Id, (await Service.EnsureParticipantAsync(b.Id, g.Id)).Id);
        await Expect.Fails(ChatErrorKind.PermissionDenied, () => Service.EnsureParticipantAsync(c.Id, g.Id));
        await Expect.Fails(ChatErrorKind.NotFound, () => Service.EnsureParticipantAsync(a.Id, ObjectIds.NewId()));
        await Expect.Fails(ChatErrorKind.Validation, () => Service.EnsureParticipantAsync(a.Id, "123"));
        await Expect.Fails(ChatErrorKind.Validation, () => Service.GetParticipantIdsAsync("123"));
        await Expect.Fails(ChatErrorKind.NotFound, () => Service.GetParticipantIdsAsync(ObjectIds.NewId()));
    }

    [Fact]
    public async Task Contacts_are_friends_and_co_participants_of_live_conversations()
    {
        var (a, b) = await Pair();
        var (c, d) = (await Chat.UserAsync("carol"), await Chat.UserAsync("dave1"));
        User e = await Chat.UserAsync("erin1");
        var request = await Service.SendFriendRequestAsync(a.Id, d.Id);
        await Service.AcceptFriendRequestAsync(d.Id, request.Id);
        await Chat.GroupAsync(a, b, c);
        Conversation deleted = await Chat.GroupAsync(a, e);
        await Service.DeleteConversationAsync(a.Id, deleted.Id);

        var contacts = await Service.GetContactIdsAsync(a.Id);
        Assert.Equal(new[] { b.Id, c.Id, d.Id }.Order(StringComparer.Ordinal), contacts.Order(StringComparer.Ordinal));
        Assert.Equal(new[] { a.Id, c.Id }.Order(StringComparer.Ordinal), (await Service.GetContactIdsAsync(b.Id)).Order(StringComparer.Ordinal));
        Assert.Empty(await Service.GetContactIdsAsync(e.Id));
    }

    private async Task<(User A, User B)> Pair()
    {
        User[] users = await Chat.UsersAsync("alice", "bobby");
        return (users[0], users[1]);
    }
}

public sealed class SqliteConversationTests() : ConversationTests(StoreKind.Sqlite);

public sealed class PostgresConversationTests() : ConversationTests(StoreKind.Postgres);
