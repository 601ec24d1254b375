using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Raven.Chat.Internal.Storage;

namespace Raven.Chat;

/// <summary>
/// The chat's database: PostgreSQL when <see cref="ChatOptions.DatabaseUrl"/> is set, else the SQLite file
/// <c>raven.db</c> under <see cref="ChatOptions.DataDirectory"/>.
/// The schema is created or migrated by <see cref="InitializeAsync"/>, which a host should await at start-up
/// to fail fast; otherwise the first operation does it.
/// </summary>
public sealed class ChatDatabase : IAsyncDisposable, IDisposable
{
    public ChatDatabase(IOptions<ChatOptions> options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ILogger logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<ChatDatabase>();
        ChatOptions chat = options.Value;
        Store = string.IsNullOrWhiteSpace(chat.DatabaseUrl)
            ? new SqliteStore(chat.ResolveConnectionString(), logger)
            : new PostgresStore(DatabaseUrl.ToConnectionString(chat.DatabaseUrl), logger);
    }

    internal ChatDatabase(SqlStore store) => Store = store;

    internal SqlStore Store { get; }

    /// <summary>Creates or migrates the schema (idempotent).</summary>
    public Task InitializeAsync(CancellationToken cancellationToken = default) => Store.InitializeAsync(cancellationToken);

    /// <summary>Which engine is in use: "sqlite" or "postgresql" (for logs and health reports).</summary>
    public string Engine => Store is PostgresStore ? "postgresql" : "sqlite";

    /// <summary>Finishes queued writes and releases pooled connections (the SQLite file is closed).</summary>
    public ValueTask DisposeAsync() => Store.DisposeAsync();

    public void Dispose() => Store.DisposeAsync().AsTask().GetAwaiter().GetResult();
}
