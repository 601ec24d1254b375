using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Options;
using Raven.Chat;

namespace Raven.Benchmarks;

/// <summary>
/// The chat store's hot paths through the public <see cref="ChatService"/> on a real database: SQLite in a temp
/// folder, or PostgreSQL when <c>RAVEN_BENCH_DATABASE_URL</c> is set. Per operation = per message sent or page read.
/// </summary>
[MemoryDiagnoser]
public class StoreBenchmarks
{
    private const int SequentialSends = 100;
    private const int Senders = 32;
    private const int SendsPerSender = 8;

    private string _directory = null!;
    private ChatDatabase _database = null!;
    private ChatService _chat = null!;
    private User[] _users = null!;
    private Conversation _group = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "raven-store-bench", Guid.NewGuid().ToString("N"));
        var options = Options.Create(new ChatOptions
        {
            DataDirectory = _directory,
            PasswordHashIterations = 1000,
            DatabaseUrl = Environment.GetEnvironmentVariable("RAVEN_BENCH_DATABASE_URL"),
        });
        _database = new ChatDatabase(options);
        _chat = new ChatService(_database, options);
        _database.InitializeAsync().GetAwaiter().GetResult();
        string run = Guid.NewGuid().ToString("N")[..8];
        _users = new User[Senders];
        for (int i = 0; i < Senders; i++)
        {
            _users[i] = _chat.RegisterAsync($"b{run}{i}", $"b{run}{i}@example.com", "secret1").GetAwaiter().GetResult();
        }

        _group = _chat.CreateConversationAsync(_users[0].Id, ConversationType.Group, "bench", _users[1..].Select(u => u.Id).ToArray())
            .GetAwaiter().GetResult();
        for (int i = 0; i < 200; i++)
        {
            _chat.SendMessageAsync(_users[i % Senders].Id, _group.Id, new NewMessage($"warm {i}", null, null)).GetAwaiter().GetResult();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _database.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    /// <summary>One sender, each send awaited before the next (latency of one send).</summary>
    [Benchmark(OperationsPerInvoke = SequentialSends)]
    public async Task SendSequential()
    {
        for (int i = 0; i < SequentialSends; i++)
        {
            await _chat.SendMessageAsync(_users[0].Id, _group.Id, new NewMessage("hello", null, null));
        }
    }

    /// <summary>32 senders at once, 8 sends each (throughput under contention; group commit shows here).</summary>
    [Benchmark(OperationsPerInvoke = Senders * SendsPerSender)]
    public Task SendConcurrent32() =>
        Task.WhenAll(Enumerable.Range(0, Senders).Select(async s =>
        {
            for (int i = 0; i < SendsPerSender; i++)
            {
                await _chat.SendMessageAsync(_users[s].Id, _group.Id, new NewMessage("hello", null, null));
            }
        }));

    /// <summary>The newest page of 50 (membership check plus one indexed range read).</summary>
    [Benchmark]
    public Task<IReadOnlyList<Message>> HistoryPage50() =>
        _chat.GetMessagesAsync(_users[1].Id, _group.Id, new HistoryQuery(50, null, null));
}
