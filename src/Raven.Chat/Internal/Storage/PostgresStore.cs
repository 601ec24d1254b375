using System.Data;
using System.Data.Common;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Raven.Chat.Internal.Storage;

/// <summary>
/// PostgreSQL through one <see cref="NpgsqlDataSource"/> (its pool; statements are auto-prepared per physical
/// connection). Writes are SERIALIZABLE and re-run on a serialization conflict, which gives every rule check the
/// same guarantees as SQLite's single writer, also with several nodes. Grouped sends run READ COMMITTED: they take
/// their conversation's row lock first (the sequence number), which orders them without conflicts.
/// Migrations run under a session advisory lock, so nodes starting together migrate once.
/// </summary>
internal sealed class PostgresStore : SqlStore
{
    /// <summary>pg_advisory_lock key of the schema migration ("RavenSch").</summary>
    private const long MigrationLockKey = 0x52617665_6E536368;

    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger _logger;

    public PostgresStore(string connectionString, ILogger logger)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        // Auto-prepare the chat's few hot statements once per physical connection (unless the URL chose otherwise).
        if (builder.MaxAutoPrepare == 0)
        {
            builder.MaxAutoPrepare = 64;
            builder.AutoPrepareMinUsages = 2;
        }

        _dataSource = NpgsqlDataSource.Create(builder);
        _logger = logger;
    }

    public NpgsqlDataSource DataSource => _dataSource;

    public override bool IsUniqueViolation(DbException exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    public override bool IsConstraintViolation(DbException exception) =>
        exception is PostgresException { SqlState: [ '2', '3', ..] };

    public override bool IsSerializationConflict(DbException exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected };

    protected override bool IsUnavailableCore(DbException exception) => exception switch
    {
        // Server-side: connection (08), insufficient resources e.g. disk full (53), operator intervention e.g. shutdown
        // (57), system/I/O error (58), read-only transaction (25006), lock timeout (55P03), conflicts that outlived retries (40).
        PostgresException pg => pg.SqlState is ['0', '8', ..] or ['5', '3', ..] or ['5', '7', ..] or ['5', '8', ..] or ['4', '0', ..]
            or PostgresErrorCodes.ReadOnlySqlTransaction or PostgresErrorCodes.LockNotAvailable,
        // Client-side: cannot connect, connection lost, timeouts.
        NpgsqlException => true,
        _ => false,
    };

    // A connection the server ended (shutdown/restart: 57P01..57P03 admin/crash shutdown, 08xxx) or whose socket broke,
    // not a refused new connection (then the database is simply down and retrying now would not help).
    protected override bool IsStaleConnectionCore(Exception exception) => exception switch
    {
        PostgresException pg => pg.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
            or ['0', '8', ..],
        NpgsqlException { InnerException: IOException or EndOfStreamException } => true,
        _ => false,
    };

    protected override void ClearIdleConnections() => _dataSource.Clear();

    protected override async ValueTask<ConnectionLease> RentAsync(CancellationToken ct)
    {
        NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        return new ConnectionLease(connection, null, static (lease, _) => lease.Connection.DisposeAsync());
    }

    // PostgreSQL orders concurrent writers itself (row locks, serializable snapshots); no process-wide gate.
    protected override ValueTask<IAsyncDisposable> AcquireWriteLockAsync(CancellationToken ct) => ValueTask.FromResult<IAsyncDisposable>(NoLock.Instance);

    // One snapshot for the unit's queries; Npgsql sends the BEGIN together with the first query (no extra round trip).
    protected override async ValueTask<DbTransaction> BeginReadTransactionAsync(DbConnection connection, CancellationToken ct) =>
        await ((NpgsqlConnection)connection).BeginTransactionAsync(IsolationLevel.RepeatableRead, ct).ConfigureAwait(false);

    protected override async ValueTask<DbTransaction> BeginWriteTransactionAsync(DbConnection connection, bool grouped, CancellationToken ct) =>
        await ((NpgsqlConnection)connection).BeginTransactionAsync(grouped ? IsolationLevel.ReadCommitted : IsolationLevel.Serializable, ct)
            .ConfigureAwait(false);

    protected override async Task MigrateAsync(CancellationToken ct)
    {
        await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        await ExecuteAsync(connection, null, "SELECT pg_advisory_lock(@k)", ct, MigrationLockKey).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(connection, null, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", ct).ConfigureAwait(false);
            await using (var read = new NpgsqlCommand("SELECT COALESCE(MAX(version), 0) FROM schema_version", connection))
            {
                int current = Convert.ToInt32(await read.ExecuteScalarAsync(ct).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
                if (current > PostgresSchema.Migrations.Length)
                {
                    throw new InvalidOperationException(
                        $"The chat database is at schema version {current}, newer than this build understands ({PostgresSchema.Migrations.Length}).");
                }

                for (int i = current; i < PostgresSchema.Migrations.Length; i++)
                {
                    int version = i + 1;
                    await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
                    await ExecuteAsync(connection, transaction, PostgresSchema.Migrations[i], ct).ConfigureAwait(false);
                    await ExecuteAsync(connection, transaction, "DELETE FROM schema_version; INSERT INTO schema_version (version) VALUES (@k)", ct, version)
                        .ConfigureAwait(false);
                    await transaction.CommitAsync(ct).ConfigureAwait(false);
                    ChatLog.SchemaMigrated(_logger, version);
                }
            }
        }
        finally
        {
            // Also released when the connection closes; unlock explicitly so the pooled connection holds nothing.
            await ExecuteAsync(connection, null, "SELECT pg_advisory_unlock(@k)", CancellationToken.None, MigrationLockKey).ConfigureAwait(false);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync().ConfigureAwait(false);
        await _dataSource.DisposeAsync().ConfigureAwait(false);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken ct, object? key = null)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        if (key is not null)
        {
            command.Parameters.AddWithValue("k", key);
        }

        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private sealed class NoLock : IAsyncDisposable
    {
        public static readonly NoLock Instance = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

/// <summary>
/// PostgreSQL schema: the same tables, columns and constraints as <see cref="SqliteSchema"/> (after all its
/// migrations), with ids in the "C" collation so text comparison is byte order. Append, never edit shipped entries.
/// </summary>
internal static class PostgresSchema
{
    public static readonly string[] Migrations =
    [
        """
        CREATE TABLE users (
            id             TEXT COLLATE "C" NOT NULL PRIMARY KEY,
            username       TEXT    NOT NULL,
            username_key   TEXT    NOT NULL,
            email          TEXT    NOT NULL,
            password_hash  TEXT    NOT NULL,
            avatar         TEXT    NULL,
            created_at     BIGINT  NOT NULL,
            updated_at     BIGINT  NOT NULL
        );
        CREATE UNIQUE INDEX ux_users_username_key ON users (username_key);
        CREATE UNIQUE INDEX ux_users_email ON users (email);

        CREATE TABLE conversations (
            id               TEXT COLLATE "C" NOT NULL PRIMARY KEY,
            name             TEXT    NOT NULL,
            type             INTEGER NOT NULL,
            owner_id         TEXT COLLATE "C" NOT NULL REFERENCES users (id),
            avatar           TEXT    NULL,
            direct_key       TEXT COLLATE "C" NULL,
            created_at       BIGINT  NOT NULL,
            updated_at       BIGINT  NOT NULL,
            last_activity_at BIGINT  NOT NULL,
            deleted_at       BIGINT  NULL,
            last_seq         BIGINT  NOT NULL DEFAULT 0
        );
        CREATE UNIQUE INDEX ux_conversations_direct_key ON conversations (direct_key)
            WHERE direct_key IS NOT NULL AND deleted_at IS NULL;

        CREATE TABLE participants (
            conversation_id TEXT COLLATE "C" NOT NULL REFERENCES conversations (id),
            user_id         TEXT COLLATE "C" NOT NULL REFERENCES users (id),
            joined_at       BIGINT  NOT NULL,
            unread_count    INTEGER NOT NULL DEFAULT 0,
            last_read_at    BIGINT  NULL,
            PRIMARY KEY (conversation_id, user_id)
        );
        CREATE INDEX ix_participants_user ON participants (user_id);

        CREATE TABLE messages (
            id              TEXT COLLATE "C" NOT NULL PRIMARY KEY,
            conversation_id TEXT COLLATE "C" NOT NULL REFERENCES conversations (id),
            sender_id       TEXT COLLATE "C" NOT NULL REFERENCES users (id),
            text            TEXT    NULL,
            url             TEXT    NULL,
            file_name       TEXT    NULL,
            created_at      BIGINT  NOT NULL,
            updated_at      BIGINT  NOT NULL,
            deleted_at      BIGINT  NULL,
            seq             BIGINT  NOT NULL
        );
        CREATE UNIQUE INDEX ux_messages_conversation_seq ON messages (conversation_id, seq);

        CREATE TABLE friend_requests (
            id           TEXT COLLATE "C" NOT NULL PRIMARY KEY,
            from_user_id TEXT COLLATE "C" NOT NULL REFERENCES users (id),
            to_user_id   TEXT COLLATE "C" NOT NULL REFERENCES users (id),
            pair_key     TEXT COLLATE "C" NOT NULL,
            status       INTEGER NOT NULL,
            created_at   BIGINT  NOT NULL,
            updated_at   BIGINT  NOT NULL
        );
        CREATE UNIQUE INDEX ux_friend_requests_pending ON friend_requests (pair_key) WHERE status = 0;
        CREATE INDEX ix_friend_requests_from ON friend_requests (from_user_id, status);
        CREATE INDEX ix_friend_requests_to ON friend_requests (to_user_id, status);

        CREATE TABLE friendships (
            id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
            user_low   TEXT COLLATE "C" NOT NULL REFERENCES users (id),
            user_high  TEXT COLLATE "C" NOT NULL REFERENCES users (id),
            created_at BIGINT  NOT NULL,
            UNIQUE (user_low, user_high)
        );
        CREATE INDEX ix_friendships_high ON friendships (user_high);

        CREATE TABLE refresh_sessions (
            id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
            user_id    TEXT COLLATE "C" NOT NULL,
            family_id  TEXT COLLATE "C" NOT NULL,
            token_hash TEXT COLLATE "C" NOT NULL,
            created_at BIGINT  NOT NULL,
            expires_at BIGINT  NOT NULL,
            rotated_at BIGINT  NULL,
            revoked_at BIGINT  NULL
        );
        CREATE UNIQUE INDEX ux_refresh_sessions_token_hash ON refresh_sessions (token_hash);
        CREATE INDEX ix_refresh_sessions_family ON refresh_sessions (family_id);
        CREATE INDEX ix_refresh_sessions_user ON refresh_sessions (user_id);
        """,
    ];
}
