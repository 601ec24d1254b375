namespace Raven.Chat.Tests;

/// <summary>A registered user who is not a participant can never see or change a conversation.</summary>
public abstract class AuthorizationTests(StoreKind store) : ChatTestBase(store)
{
    public static TheoryData<string> Operations =>
    [
        "GetConversation", "EnsureParticipant", "GetMessages", "GetMessagesBefore", "SendMessage", "MarkRead", "GetMessage",
        "DeleteMessage", "UpdateConversation", "DeleteConversation", "AddSelf", "AddOther", "RemoveMember", "Leave",
    ];

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task Outsider_is_denied_and_nothing_changes(string operation)
    {
        User[] users = await Chat.UsersAsync("alice", "bobby", "oscar");
        (User owner, User member, User outsider) = (users[0], users[1], users[2]);
        Conversation group = await Chat.GroupAsync(owner, member);
        Message message = await Service.SendMessageAsync(member.Id, group.Id, new NewMessage("secret", null, null));
        string snapshot = Snapshot();

        Func<Task> call = operation switch
        {
            "GetConversation" => () => Service.GetConversationAsync(outsider.Id, group.Id),
            "EnsureParticipant" => () => Service.EnsureParticipantAsync(outsider.Id, group.Id),
            "GetMessages" => () => Service.GetMessagesAsync(outsider.Id, group.Id, new HistoryQuery(20, null, null)),
            "GetMessagesBefore" => () => Service.GetMessagesAsync(outsider.Id, group.Id, new HistoryQuery(20, message.Id, null)),
            "SendMessage" => () => Service.SendMessageAsync(outsider.Id, group.Id, new NewMessage("let me in", null, null)),
            "MarkRead" => () => Service.MarkReadAsync(outsider.Id, group.Id),
            "GetMessage" => () => Service.GetMessageAsync(outsider.Id, message.Id),
            "DeleteMessage" => () => Service.DeleteMessageAsync(outsider.Id, message.Id),
            "UpdateConversation" => () => Service.UpdateConversationAsync(outsider.Id, group.Id, "mine", null),
            "DeleteConversation" => () => Service.DeleteConversationAsync(outsider.Id, group.Id),
            "AddSelf" => () => Service.AddMemberAsync(outsider.Id, group.Id, outsider.Id),
            "AddOther" => () => Service.AddMemberAsync(outsider.Id, group.Id, member.Id),
            "RemoveMember" => () => Service.RemoveMemberAsync(outsider.Id, group.Id, member.Id),
            "Leave" => () => Service.LeaveConversationAsync(outsider.Id, group.Id),
            _ => throw new ArgumentOutOfRangeException(nameof(operation)),
        };

        await Expect.Fails(ChatErrorKind.PermissionDenied, call);
        Assert.Equal(snapshot, Snapshot());
        Assert.Empty(await Service.ListConversationsAsync(outsider.Id));
    }

    [Fact]
    public async Task Member_who_is_not_owner_or_sender_is_denied_owner_actions()
    {
        User[] users = await Chat.UsersAsync("alice", "bobby", "carol");
        (User owner, User member, User third) = (users[0], users[1], users[2]);
        Conversation group = await Chat.GroupAsync(owner, member, third);
        Message ownersMessage = await Service.SendMessageAsync(owner.Id, group.Id, new NewMessage("owner's", null, null));
        string snapshot = Snapshot();

        await Expect.Fails(ChatErrorKind.PermissionDenied, () => Service.DeleteConversationAsync(member.Id, group.Id));
        await Expect.Fails(ChatErrorKind.PermissionDenied, () => Service.UpdateConversationAsync(member.Id, group.Id, "x", null));
        await Expect.Fails(ChatErrorKind.PermissionDenied, () => Service.RemoveMemberAsync(member.Id, group.Id, third.Id));
        await Expect.Fails(ChatErrorKind.PermissionDenied, () => Service.DeleteMessageAsync(member.Id, ownersMessage.Id));
        Assert.Equal(snapshot, Snapshot());
    }

    [Fact]
    public async Task Unknown_ids_are_not_found_and_malformed_ids_are_validation_errors()
    {
        User alice = await Chat.UserAsync("alice");
        string unknown = ObjectIds.NewId();
        await Expect.Fails(ChatErrorKind.NotFound, () => Service.GetConversationAsync(alice.Id, unknown));
        await Expect.Fails(ChatErrorKind.NotFound, () => Service.GetMessagesAsync(alice.Id, unknown, new HistoryQuery(20, null, null)));
        await Expect.Fails(ChatErrorKind.NotFound, () => Service.MarkReadAsync(alice.Id, unknown));
        await Expect.Fails(ChatErrorKind.NotFound, () => Service.GetMessageAsync(alice.Id, unknown));
        await Expect.Fails(ChatErrorKind.NotFound, () => Service.LeaveConversationAsync(alice.Id, unknown));
        foreach (string bad in new[] { "", "123", "zzzzzzzzzzzzzzzzzzzzzzzz", "507f1f77bcf86cd799439011x" })
        {
            await Expect.Fails(ChatErrorKind.Validation, () => Service.GetConversationAsync(alice.Id, bad));
            await Expect.Fails(ChatErrorKind.Validation, () => Service.GetMessageAsync(alice.Id, bad));
            await Expect.Fails(ChatErrorKind.Validation, () => Service.ListConversationsAsync(bad));
        }
    }

    /// <summary>Every row of every chat table, so "nothing changed" is checked rather than assumed.</summary>
    private string Snapshot()
    {
        using var connection = Chat.OpenRaw();
        var text = new System.Text.StringBuilder();
        foreach (string table in new[] { "users", "conversations", "participants", "messages", "friend_requests", "friendships" })
        {
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT * FROM {table} ORDER BY 1, 2";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                for (int i = 0; i < reader.FieldCount; i++)
                {
                    text.Append(reader.IsDBNull(i) ? "null" : reader.GetValue(i)).Append('|');
                }

                text.AppendLine();
            }
        }

        return text.ToString();
    }
}

public sealed class SqliteAuthorizationTests() : AuthorizationTests(StoreKind.Sqlite);

public sealed class PostgresAuthorizationTests() : AuthorizationTests(StoreKind.Postgres);
