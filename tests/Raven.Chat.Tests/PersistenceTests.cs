using Microsoft.Data.Sqlite;

namespace Raven.Chat.Tests;

public class PersistenceTests : IAsyncLifetime
{
    private readonly string _directory = TestChat.NewDirectory();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        TestChat.DeleteDirectory(_directory);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Everything_survives_a_restart()
    {
        User a, b;
        Conversation group;
        Message first, second;
        string requestId, dmId;
        await using (TestChat chat = await TestChat.CreateAsync(directory: _directory))
        {
            (a, b) = (await chat.UserAsync("alice"), await chat.UserAsync("bobby"));
            User c = await chat.UserAsync("carol");
            group = await chat.GroupAsync(a, b);
            first = await chat.Service.SendMessageAsync(a.Id, group.Id, new NewMessage("one", "/f/1", "1.txt"));
            second = await chat.Service.SendMessageAsync(b.Id, group.Id, new NewMessage("two", null, null));
            (_, dmId) = await chat.Service.AcceptFriendRequestAsync(b.Id, (await chat.Service.SendFriendRequestAsync(a.Id, b.Id)).Id);
            requestId = (await chat.Service.SendFriendRequestAsync(c.Id, a.Id)).Id;
            await chat.Service.MarkReadAsync(b.Id, group.Id);
        }

        Assert.True(File.Exists(Path.Combine(_directory, "raven.db")));

        await using (TestChat chat = await TestChat.CreateAsync(directory: _directory))
        {
            Assert.Equal(a, await chat.Service.FindUserAsync(a.Id));
            Assert.Equal(a.Id, (await chat.Service.VerifyCredentialsAsync("alice@example.com", TestChat.Password))?.Id);
            Assert.Equal([second, first], await chat.Service.GetMessagesAsync(b.Id, group.Id, new HistoryQuery(20, null, null)));
            var summaries = await chat.Service.ListConversationsAsync(a.Id);
            Assert.Equal(2, summaries.Count);
            Assert.Equal(1, summaries.Single(s => s.Conversation.Id == group.Id).UnreadCount);
            Assert.NotNull((await chat.Service.ListConversationsAsync(b.Id)).Single(s => s.Conversation.Id == group.Id).LastReadAt);
            Assert.Equal(group, (await chat.Service.GetConversationAsync(a.Id, group.Id)).Conversation);
            Assert.Equal(dmId, (await chat.DirectAsync(a, b)).Id);
            Assert.Equal(b.Id, (await chat.Service.ListFriendsAsync(a.Id)).Single().FriendId);
            Assert.Equal(requestId, (await chat.Service.GetFriendRequestsAsync(a.Id)).Received.Single().Id);
            // Ids made after the restart still sort after the old ones.
            Message third = await chat.Service.SendMessageAsync(a.Id, group.Id, new NewMessage("three", null, null));
            Assert.True(string.CompareOrdinal(third.Id, second.Id) > 0);
            Assert.Equal(1, chat.Scalar("SELECT COUNT(*) FROM schema_version"));
        }
    }

    [Fact]
    public async Task Schema_is_versioned_wal_and_indexed()
    {
        await using TestChat chat = await TestChat.CreateAsync(directory: _directory);
        await chat.Database.InitializeAsync();
        Assert.Equal(Internal.Storage.SqliteSchema.Migrations.Length, chat.Scalar("SELECT version FROM schema_version"));

        using var raw = (SqliteConnection)chat.OpenRaw();
        using (SqliteCommand mode = raw.CreateCommand())
        {
            mode.CommandText = "PRAGMA journal_mode";
            Assert.Equal("wal", (string)mode.ExecuteScalar()!);
        }

        var indexes = new List<string>();
        using (SqliteCommand list = raw.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'";
            using var reader = list.ExecuteReader();
            while (reader.Read())
            {
                indexes.Add(reader.GetString(0));
            }
        }

        Assert.Contains("ux_messages_conversation_seq", indexes);
        Assert.Contains("ix_participants_user", indexes);
        Assert.Contains("ux_users_email", indexes);
        Assert.Contains("ux_users_username_key", indexes);
        Assert.Contains("ux_friend_requests_pending", indexes);
        Assert.Contains("ux_refresh_sessions_token_hash", indexes);
    }

    [Fact]
    public async Task Foreign_keys_are_enforced_on_service_connections()
    {
        await using TestChat chat = await TestChat.CreateAsync(directory: _directory);
        var ex = await Assert.ThrowsAnyAsync<SqliteException>(() => chat.Database.Store.WriteAsync(
            db => db.ExecuteAsync("INSERT INTO participants (conversation_id, user_id, joined_at) VALUES ('x', 'y', 0)"),
            CancellationToken.None));
        Assert.Equal(19, ex.SqliteErrorCode);
    }

    [Fact]
    public async Task A_failing_transaction_leaves_nothing_behind()
    {
        await using TestChat chat = await TestChat.CreateAsync(directory: _directory);
        User a = await chat.UserAsync("alice");
        await Assert.ThrowsAsync<InvalidOperationException>(() => chat.Database.Store.WriteAsync<int>(
            async db =>
            {
                await db.ExecuteAsync("UPDATE users SET username = 'changed' WHERE id = @id", ("@id", a.Id));
                throw new InvalidOperationException("boom");
            },
            CancellationToken.None));
        Assert.Equal("alice", (await chat.Service.FindUserAsync(a.Id))!.Username);
    }

    [Fact]
    public async Task Initialization_is_lazy_and_idempotent()
    {
        var options = Microsoft.Extensions.Options.Options.Create(new ChatOptions { DataDirectory = _directory, PasswordHashIterations = 1000 });
        await using (var database = new ChatDatabase(options))
        {
            var service = new ChatService(database, options);
            // No InitializeAsync: the first call creates the schema.
            User user = await service.RegisterAsync("alice", "alice@example.com", "secret1");
            await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => database.InitializeAsync()));
            Assert.Equal(user, await service.FindUserAsync(user.Id));
        }

        await using (var again = new ChatDatabase(options))
        {
            await again.InitializeAsync();
        }
    }

    [Fact]
    public void Options_connection_string_override_keeps_foreign_keys_on()
    {
        string file = Path.Combine(_directory, "custom.db");
        string resolved = new ChatOptions { ConnectionString = $"Data Source={file}" }.ResolveConnectionString();
        var builder = new SqliteConnectionStringBuilder(resolved);
        Assert.Equal(file, builder.DataSource);
        Assert.True(builder.ForeignKeys);
    }
}

public class SharedFileTests : IAsyncLifetime
{
    private readonly string _directory = TestChat.NewDirectory();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        TestChat.DeleteDirectory(_directory);
        return Task.CompletedTask;
    }

    /// <summary>Two databases on one file have separate write gates, like two processes: SQLite's lock must hold.</summary>
    [Fact]
    public async Task Two_instances_writing_one_file_both_succeed()
    {
        await using TestChat first = await TestChat.CreateAsync(directory: _directory);
        await using TestChat second = await TestChat.CreateAsync(directory: _directory);
        User a = await first.UserAsync("alice");
        User b = await second.UserAsync("bobby");
        Conversation dm = await first.DirectAsync(a, b);

        async Task Send(ChatService service, User sender)
        {
            for (int i = 0; i < 100; i++)
            {
                await service.SendMessageAsync(sender.Id, dm.Id, new NewMessage($"{sender.Username}{i}", null, null));
            }
        }

        await Task.WhenAll(Task.Run(() => Send(first.Service, a)), Task.Run(() => Send(second.Service, b)));
        Assert.Equal(200, first.Scalar("SELECT COUNT(*) FROM messages"));
        var summaries = await second.Service.ListConversationsAsync(a.Id);
        Assert.Equal(100, summaries.Single().UnreadCount);
        await Expect.Fails(ChatErrorKind.Conflict, () => second.Service.RegisterAsync("alice", "x@example.com", "secret1"));
    }
}

public class SchemaVersionTests
{
    [Fact]
    public async Task A_database_from_a_newer_build_is_refused()
    {
        string directory = TestChat.NewDirectory();
        try
        {
            await using (TestChat chat = await TestChat.CreateAsync(directory: directory))
            {
                using var raw = chat.OpenRaw();
                using var command = raw.CreateCommand();
                command.CommandText = "UPDATE schema_version SET version = 999";
                command.ExecuteNonQuery();
            }

            var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => TestChat.CreateAsync(directory: directory));
            Assert.Contains("999", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            TestChat.DeleteDirectory(directory);
        }
    }
}
