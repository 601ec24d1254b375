using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Raven.Chat.Tests;

/// <summary>The engines every store test runs against.</summary>
public enum StoreKind
{
    Sqlite,
    Postgres,
}

/// <summary>
/// A real database: SQLite in a private temp folder (deleted on dispose), or a fresh database on the shared
/// PostgreSQL server of the test run (<see cref="SharedPostgres"/>), reached through a <c>postgres://</c> URL.
/// </summary>
internal sealed class TestChat : IAsyncDisposable
{
    public const string Password = "secret1";

    private readonly bool _ownsDirectory;

    private TestChat(StoreKind kind, string directory, ChatOptions options, bool ownsDirectory)
    {
        Kind = kind;
        DataDirectory = directory;
        Options = options;
        _ownsDirectory = ownsDirectory;
        Database = new ChatDatabase(Microsoft.Extensions.Options.Options.Create(options));
        Service = new ChatService(Database, Microsoft.Extensions.Options.Options.Create(options));
    }

    public StoreKind Kind { get; }

    public string DataDirectory { get; }

    public ChatOptions Options { get; }

    public ChatDatabase Database { get; }

    public ChatService Service { get; }

    public string DatabaseFile => Path.Combine(DataDirectory, "raven.db");

    public static string NewDirectory()
    {
        string directory = Path.Combine(Path.GetTempPath(), "raven-chat-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        return directory;
    }

    /// <param name="directory">Reuse an existing data folder (restart tests); the caller then deletes it.</param>
    public static Task<TestChat> CreateAsync(Action<ChatOptions>? configure = null, string? directory = null) =>
        CreateAsync(StoreKind.Sqlite, configure, directory);

    public static async Task<TestChat> CreateAsync(StoreKind kind, Action<ChatOptions>? configure = null, string? directory = null)
    {
        // Low iteration count: PBKDF2 at the default 100k would dominate the run time on a shared 2-core box.
        var options = new ChatOptions { DataDirectory = directory ?? NewDirectory(), PasswordHashIterations = 1000 };
        if (kind == StoreKind.Postgres)
        {
            Raven.Testing.PostgresServer server = await SharedPostgres.GetAsync();
            options.DatabaseUrl = server.Url(await server.CreateDatabaseAsync());
        }

        configure?.Invoke(options);
        var chat = new TestChat(kind, options.DataDirectory, options, ownsDirectory: directory is null);
        await chat.Database.InitializeAsync();
        return chat;
    }

    /// <summary>A second service over the same database, as another node would have (its own store, pool and writer).</summary>
    public (ChatDatabase Database, ChatService Service) NewNode()
    {
        var database = new ChatDatabase(Microsoft.Extensions.Options.Options.Create(Options));
        return (database, new ChatService(database, Microsoft.Extensions.Options.Options.Create(Options)));
    }

    public Task<User> UserAsync(string name) => Service.RegisterAsync(name, $"{name}@example.com", Password);

    public async Task<User[]> UsersAsync(params string[] names)
    {
        var users = new User[names.Length];
        for (int i = 0; i < names.Length; i++)
        {
            users[i] = await UserAsync(names[i]);
        }

        return users;
    }

    public async Task<Conversation> GroupAsync(User owner, params User[] others) =>
        await Service.CreateConversationAsync(owner.Id, ConversationType.Group, "group", others.Select(u => u.Id).ToArray());

    public async Task<Conversation> DirectAsync(User a, User b) =>
        await Service.CreateConversationAsync(a.Id, ConversationType.Direct, null, [b.Id]);

    /// <summary>Raw connection (outside the store) for checking what was (not) written.</summary>
    public DbConnection OpenRaw()
    {
        DbConnection connection = Kind == StoreKind.Postgres
            ? new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Internal.Storage.DatabaseUrl.ToConnectionString(Options.DatabaseUrl!)) { Pooling = false }.ConnectionString)
            : new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabaseFile, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    public long Scalar(string sql)
    {
        using DbConnection connection = OpenRaw();
        using DbCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        await Database.DisposeAsync();
        if (_ownsDirectory)
        {
            DeleteDirectory(DataDirectory);
        }
    }

    public static void DeleteDirectory(string directory)
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}

internal static class Expect
{
    public static async Task<ChatException> Fails(ChatErrorKind kind, Func<Task> action)
    {
        ChatException ex = await Assert.ThrowsAsync<ChatException>(action);
        Assert.True(kind == ex.Kind, $"Expected {kind} but got {ex.Kind}: {ex.Message}");
        return ex;
    }
}

/// <summary>
/// Base for tests that each get a fresh database. Each test class is abstract over <see cref="StoreKind"/> and has
/// one sealed subclass per engine (<c>Sqlite...Tests</c>, <c>Postgres...Tests</c>), so every test runs on both.
/// </summary>
public abstract class ChatTestBase(StoreKind store) : IAsyncLifetime
{
    private TestChat? _chat;

    protected StoreKind Engine { get; } = store;

    internal TestChat Chat => _chat ?? throw new InvalidOperationException("Not initialized.");

    internal ChatService Service => Chat.Service;

    public virtual async Task InitializeAsync() => _chat = await TestChat.CreateAsync(Engine);

    public async Task DisposeAsync()
    {
        if (_chat is not null)
        {
            await _chat.DisposeAsync();
        }
    }
}

/// <summary>
/// One PostgreSQL server for the whole test run (each test gets its own database on it), started on first use and
/// stopped when the test process exits. Tests that stop a server start their own <see cref="Raven.Testing.PostgresServer"/>.
/// </summary>
internal static class SharedPostgres
{
    private static readonly Lazy<Task<Raven.Testing.PostgresServer>> Server = new(StartAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    public static Task<Raven.Testing.PostgresServer> GetAsync() => Server.Value;

    private static async Task<Raven.Testing.PostgresServer> StartAsync()
    {
        Raven.Testing.PostgresServer server = await Raven.Testing.PostgresServer.StartAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.StopOnProcessExit();
        return server;
    }
}
