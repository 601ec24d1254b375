using Microsoft.Extensions.Options;
using Npgsql;
using Raven.Testing;

namespace Raven.Chat.Tests;

/// <summary>PostgreSQL-only behaviour: start-up of several nodes at once, the keyword form, and an outage.</summary>
public class PostgresStoreTests
{
    [Fact]
    public async Task Nodes_starting_at_once_migrate_the_schema_exactly_once()
    {
        PostgresServer server = await SharedPostgres.GetAsync();
        string database = await server.CreateDatabaseAsync("migrate");
        var options = Options.Create(new ChatOptions { DatabaseUrl = server.Url(database) });
        ChatDatabase[] nodes = [.. Enumerable.Range(0, 4).Select(_ => new ChatDatabase(options))];
        try
        {
            await Task.WhenAll(nodes.Select(n => Task.Run(() => n.InitializeAsync())));
            await using var connection = new NpgsqlConnection(server.ConnectionString(database));
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT COUNT(*), MAX(version) FROM schema_version", connection);
            await using var reader = await command.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal((1L, Internal.Storage.PostgresSchema.Migrations.Length), (reader.GetInt64(0), reader.GetInt32(1)));
            Assert.All(nodes, n => Assert.Equal("postgresql", n.Engine));
        }
        finally
        {
            foreach (ChatDatabase node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Npgsql_keyword_form_works_and_unique_rules_hold_across_nodes()
    {
        PostgresServer server = await SharedPostgres.GetAsync();
        string database = await server.CreateDatabaseAsync("keyword");
        var options = Options.Create(new ChatOptions { DatabaseUrl = server.ConnectionString(database), PasswordHashIterations = 1000 });
        await using var first = new ChatDatabase(options);
        await using var second = new ChatDatabase(options);
        var a = new ChatService(first, options);
        var b = new ChatService(second, options);
        // The same email registered on two nodes at once: exactly one wins, the other gets Conflict (not a raw error).
        Task<User>[] races = [.. Enumerable.Range(0, 6).Select(i => Task.Run(() => (i % 2 == 0 ? a : b).RegisterAsync($"same{i}", "same@example.com", "secret1")))];
        int won = 0, conflicts = 0;
        foreach (Task<User> race in races)
        {
            try
            {
                await race;
                won++;
            }
            catch (ChatException ex) when (ex.Kind == ChatErrorKind.Conflict)
            {
                conflicts++;
            }
        }

        Assert.Equal((1, 5), (won, conflicts));
    }

    [Fact]
    public async Task A_stopped_server_fails_operations_as_unavailable_and_they_recover_when_it_is_back()
    {
        await using PostgresServer server = await PostgresServer.StartAsync();
        string database = await server.CreateDatabaseAsync("outage");
        var options = Options.Create(new ChatOptions { DatabaseUrl = server.Url(database) + "?connect_timeout=3", PasswordHashIterations = 1000 });
        await using var chatDatabase = new ChatDatabase(options);
        var chat = new ChatService(chatDatabase, options);
        User alice = await chat.RegisterAsync("alice", "alice@example.com", "secret1");
        User bobby = await chat.RegisterAsync("bobby", "bobby@example.com", "secret1");
        Conversation dm = await chat.CreateConversationAsync(alice.Id, ConversationType.Direct, null, [bobby.Id]);
        await chat.SendMessageAsync(alice.Id, dm.Id, new NewMessage("before", null, null));
        // Another node that stays idle through the outage: its pooled connections are cut without it noticing.
        await using var idleDatabase = new ChatDatabase(options);
        var idleNode = new ChatService(idleDatabase, options);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => idleNode.GetMessagesAsync(bobby.Id, dm.Id, new HistoryQuery(20, null, null))));

        await server.StopAsync();
        ChatException send = await Expect.Fails(ChatErrorKind.Unavailable,
            () => chat.SendMessageAsync(alice.Id, dm.Id, new NewMessage("during", null, null)));
        Assert.IsAssignableFrom<NpgsqlException>(send.InnerException);
        await Expect.Fails(ChatErrorKind.Unavailable, () => chat.GetMessagesAsync(alice.Id, dm.Id, new HistoryQuery(20, null, null)));
        await Expect.Fails(ChatErrorKind.Unavailable, () => chat.MarkReadAsync(bobby.Id, dm.Id));

        await server.StartAgainAsync();
        // The first calls after the restart succeed on both nodes: dead pooled connections are dropped and the unit re-run.
        Assert.Single(await idleNode.GetMessagesAsync(bobby.Id, dm.Id, new HistoryQuery(20, null, null)));
        await idleNode.MarkReadAsync(bobby.Id, dm.Id);
        Message after = await chat.SendMessageAsync(alice.Id, dm.Id, new NewMessage("after", null, null));
        IReadOnlyList<Message> history = await chat.GetMessagesAsync(bobby.Id, dm.Id, new HistoryQuery(20, null, null));
        Assert.Equal(["after", "before"], history.Select(m => m.Text));
        Assert.Equal(after.Id, history[0].Id);
        Assert.Equal(1, (await chat.ListConversationsAsync(bobby.Id)).Single().UnreadCount);
    }
}
