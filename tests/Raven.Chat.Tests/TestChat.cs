using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Raven.Chat.Tests;

/// <summary>A real SQLite database in a private temp folder, deleted on dispose.</summary>
internal sealed class TestChat : IAsyncDisposable
{
    public const string Password = "secret1";

    private readonly bool _ownsDirectory;

    private TestChat(string directory, ChatOptions options, bool ownsDirectory)
    {
        DataDirectory = directory;
        Options = options;
        _ownsDirectory = ownsDirectory;
        Database = new ChatDatabase(Microsoft.Extensions.Options.Options.Create(options));
        Service = new ChatService(Database, Microsoft.Extensions.Options.Options.Create(options));
    }

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
    public static async Task<TestChat> CreateAsync(Action<ChatOptions>? configure = null, string? directory = null)
    {
        // Low iteration count: PBKDF2 at the default 100k would dominate the run time on a shared 2-core box.
        var options = new ChatOptions { DataDirectory = directory ?? NewDirectory(), PasswordHashIterations = 1000 };
        configure?.Invoke(options);
        var chat = new TestChat(options.DataDirectory, options, ownsDirectory: directory is null);
        await chat.Database.InitializeAsync();
        return chat;
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

    /// <summary>Raw connection for checking what was (not) written.</summary>
    public SqliteConnection OpenRaw()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabaseFile, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    public long Scalar(string sql)
    {
        using SqliteConnection connection = OpenRaw();
        using SqliteCommand command = connection.CreateCommand();
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

/// <summary>Base for tests that each get a fresh database.</summary>
public abstract class ChatTestBase : IAsyncLifetime
{
    private TestChat? _chat;

    internal TestChat Chat => _chat ?? throw new InvalidOperationException("Not initialized.");

    internal ChatService Service => Chat.Service;

    public virtual async Task InitializeAsync() => _chat = await TestChat.CreateAsync();

    public async Task DisposeAsync()
    {
        if (_chat is not null)
        {
            await _chat.DisposeAsync();
        }
    }
}
