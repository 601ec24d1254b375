using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Raven.Chat.Internal.Storage;

/// <summary>
/// SQLite (Microsoft.Data.Sqlite, bundled e_sqlite3). The store keeps its own small pool of open connections, so
/// per-connection settings are applied once per physical connection and each connection keeps its prepared
/// commands (<see cref="CommandCache"/>). WAL lets readers proceed while the one in-process writer (a semaphore)
/// commits; busy_timeout covers another process holding the write lock.
/// </summary>
internal sealed class SqliteStore : SqlStore
{
    private const int SqliteConstraint = 19;
    private const int SqliteConstraintUnique = 2067;
    private const int SqliteConstraintPrimaryKey = 1555;
    private const int MaxIdleConnections = 8;

    // Result codes that mean "the database cannot serve this now" (busy/locked, read-only, I/O, full, cannot open, ...).
    private static readonly HashSet<int> UnavailableCodes = [5, 6, 7, 8, 10, 11, 13, 14, 15, 26];

    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly ILogger _logger;
    private readonly System.Collections.Concurrent.ConcurrentBag<PooledConnection> _idle = [];
    private readonly string _connectionPragmas;
    private int _idleCount;
    private volatile bool _disposed;

    public SqliteStore(string connectionString, ILogger logger)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString) { Pooling = false };
        ConnectionString = builder.ToString();
        _logger = logger;
        // In WAL mode synchronous=NORMAL skips the fsync per commit yet stays consistent; only an OS crash or power
        // loss can drop the last few commits. busy_timeout makes SQLite itself wait for another process's write lock.
        _connectionPragmas = $"PRAGMA synchronous=NORMAL; PRAGMA busy_timeout={Math.Max(0, builder.DefaultTimeout) * 1000};";
    }

    public string ConnectionString { get; }

    public override bool IsUniqueViolation(DbException exception) =>
        exception is SqliteException { SqliteErrorCode: SqliteConstraint } sqlite
        && sqlite.SqliteExtendedErrorCode is SqliteConstraintUnique or SqliteConstraintPrimaryKey;

    public override bool IsConstraintViolation(DbException exception) =>
        exception is SqliteException { SqliteErrorCode: SqliteConstraint };

    protected override bool IsUnavailableCore(DbException exception) =>
        exception is SqliteException sqlite && UnavailableCodes.Contains(sqlite.SqliteErrorCode);

    protected override async ValueTask<ConnectionLease> RentAsync(CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_idle.TryTake(out PooledConnection? pooled))
        {
            Interlocked.Decrement(ref _idleCount);
        }
        else
        {
            pooled = await OpenPhysicalAsync(ct).ConfigureAwait(false);
        }

        return new ConnectionLease(pooled.Connection, pooled.Commands, (lease, healthy) => ReturnAsync(pooled, healthy));
    }

    private ValueTask ReturnAsync(PooledConnection pooled, bool healthy)
    {
        if (healthy && !_disposed && Interlocked.Increment(ref _idleCount) <= MaxIdleConnections)
        {
            _idle.Add(pooled);
            return ValueTask.CompletedTask;
        }

        if (healthy && !_disposed)
        {
            Interlocked.Decrement(ref _idleCount);
        }

        return pooled.DisposeAsync();
    }

    private async Task<PooledConnection> OpenPhysicalAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(ConnectionString);
        try
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
            await using (var pragma = connection.CreateCommand())
            {
                pragma.CommandText = _connectionPragmas;
                await pragma.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            return new PooledConnection(connection);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    protected override async ValueTask<IAsyncDisposable> AcquireWriteLockAsync(CancellationToken ct)
    {
        await _writeGate.WaitAsync(ct).ConfigureAwait(false);
        return new Releaser(_writeGate);
    }

    // BeginTransaction() would be BEGIN IMMEDIATE (a write lock); deferred takes its WAL snapshot at the first read.
    protected override ValueTask<DbTransaction> BeginReadTransactionAsync(DbConnection connection, CancellationToken ct) =>
        ValueTask.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: true));

    // BEGIN IMMEDIATE: the file's write lock for the whole transaction, so writes are serializable (also across processes).
    protected override ValueTask<DbTransaction> BeginWriteTransactionAsync(DbConnection connection, bool grouped, CancellationToken ct) =>
        ValueTask.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));

    protected override async Task MigrateAsync(CancellationToken ct)
    {
        await using ConnectionLease lease = await RentAsync(ct).ConfigureAwait(false);
        // Migrations run rarely; keep their one-off statements out of the command cache.
        await using var uncached = new ConnectionLease(lease.Connection, null, (_, _) => ValueTask.CompletedTask);
        DbConnection connection = lease.Connection;
        var session = new DbSession(uncached, null, ct, this);
        try
        {
            // Persistent per database file: set once, outside any transaction.
            await session.ExecuteAsync("PRAGMA journal_mode=WAL;").ConfigureAwait(false);
            await session.ExecuteAsync("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);").ConfigureAwait(false);

            await using var writeLock = await AcquireWriteLockAsync(ct).ConfigureAwait(false);
            long current = await session.ScalarInt64Async("SELECT MAX(version) FROM schema_version;").ConfigureAwait(false) ?? 0;
            if (current > SqliteSchema.Migrations.Length)
            {
                throw new InvalidOperationException(
                    $"The chat database is at schema version {current}, newer than this build understands ({SqliteSchema.Migrations.Length}).");
            }

            for (int i = (int)current; i < SqliteSchema.Migrations.Length; i++)
            {
                int version = i + 1;
                await using DbTransaction transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
                var tx = new DbSession(uncached, transaction, ct, this);
                // Re-read inside the write transaction: another process may have migrated meanwhile.
                long applied = await tx.ScalarInt64Async("SELECT COALESCE(MAX(version), 0) FROM schema_version;").ConfigureAwait(false) ?? 0;
                if (applied >= version)
                {
                    continue;
                }

                await tx.ExecuteAsync(SqliteSchema.Migrations[i]).ConfigureAwait(false);
                await tx.ExecuteAsync("DELETE FROM schema_version; INSERT INTO schema_version (version) VALUES (@v);", ("@v", version)).ConfigureAwait(false);
                await transaction.CommitAsync(ct).ConfigureAwait(false);
                ChatLog.SchemaMigrated(_logger, version);
            }
        }
        catch
        {
            lease.Discard();
            throw;
        }
    }

    public override async ValueTask DisposeAsync()
    {
        // Finish queued group writes first; then close every connection so the file (and WAL) can be moved or deleted.
        await base.DisposeAsync().ConfigureAwait(false);
        _disposed = true;
        while (_idle.TryTake(out PooledConnection? pooled))
        {
            await pooled.DisposeAsync().ConfigureAwait(false);
        }

        _writeGate.Dispose();
    }

    private sealed class PooledConnection(SqliteConnection connection) : IAsyncDisposable
    {
        public SqliteConnection Connection { get; } = connection;

        public CommandCache Commands { get; } = new(connection);

        public ValueTask DisposeAsync()
        {
            Commands.Dispose();
            return Connection.DisposeAsync();
        }
    }

    private sealed class Releaser(SemaphoreSlim gate) : IAsyncDisposable
    {
        private int _released;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }

            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>
/// Schema migrations, applied in order; the number applied is kept in <c>schema_version</c>.
/// Append new entries, never edit shipped ones. Times are unix milliseconds (UTC) in INTEGER columns;
/// case-insensitive uniqueness uses normalized columns filled by the application, which ports to any database.
/// </summary>
internal static class SqliteSchema
{
    public static readonly string[] Migrations =
    [
        """
        CREATE TABLE users (
            id             TEXT    NOT NULL PRIMARY KEY,
            username       TEXT    NOT NULL,
            username_key   TEXT    NOT NULL,
            email          TEXT    NOT NULL,
            password_hash  TEXT    NOT NULL,
            avatar         TEXT    NULL,
            created_at     INTEGER NOT NULL,
            updated_at     INTEGER NOT NULL
        );
        CREATE UNIQUE INDEX ux_users_username_key ON users (username_key);
        CREATE UNIQUE INDEX ux_users_email ON users (email);

        CREATE TABLE conversations (
            id               TEXT    NOT NULL PRIMARY KEY,
            name             TEXT    NOT NULL,
            type             INTEGER NOT NULL,
            owner_id         TEXT    NOT NULL REFERENCES users (id),
            avatar           TEXT    NULL,
            direct_key       TEXT    NULL,
            created_at       INTEGER NOT NULL,
            updated_at       INTEGER NOT NULL,
            last_activity_at INTEGER NOT NULL,
            deleted_at       INTEGER NULL
        );
        CREATE UNIQUE INDEX ux_conversations_direct_key ON conversations (direct_key)
            WHERE direct_key IS NOT NULL AND deleted_at IS NULL;

        CREATE TABLE participants (
            conversation_id TEXT    NOT NULL REFERENCES conversations (id),
            user_id         TEXT    NOT NULL REFERENCES users (id),
            joined_at       INTEGER NOT NULL,
            unread_count    INTEGER NOT NULL DEFAULT 0,
            last_read_at    INTEGER NULL,
            PRIMARY KEY (conversation_id, user_id)
        );
        CREATE INDEX ix_participants_user ON participants (user_id);

        CREATE TABLE messages (
            id              TEXT    NOT NULL PRIMARY KEY,
            conversation_id TEXT    NOT NULL REFERENCES conversations (id),
            sender_id       TEXT    NOT NULL REFERENCES users (id),
            text            TEXT    NULL,
            url             TEXT    NULL,
            file_name       TEXT    NULL,
            created_at      INTEGER NOT NULL,
            updated_at      INTEGER NOT NULL,
            deleted_at      INTEGER NULL
        );
        CREATE INDEX ix_messages_conversation_id ON messages (conversation_id, id);

        CREATE TABLE friend_requests (
            id           TEXT    NOT NULL PRIMARY KEY,
            from_user_id TEXT    NOT NULL REFERENCES users (id),
            to_user_id   TEXT    NOT NULL REFERENCES users (id),
            pair_key     TEXT    NOT NULL,
            status       INTEGER NOT NULL,
            created_at   INTEGER NOT NULL,
            updated_at   INTEGER NOT NULL
        );
        CREATE UNIQUE INDEX ux_friend_requests_pending ON friend_requests (pair_key) WHERE status = 0;
        CREATE INDEX ix_friend_requests_from ON friend_requests (from_user_id, status);
        CREATE INDEX ix_friend_requests_to ON friend_requests (to_user_id, status);

        CREATE TABLE friendships (
            id         TEXT    NOT NULL PRIMARY KEY,
            user_low   TEXT    NOT NULL REFERENCES users (id),
            user_high  TEXT    NOT NULL REFERENCES users (id),
            created_at INTEGER NOT NULL,
            UNIQUE (user_low, user_high)
        );
        CREATE INDEX ix_friendships_high ON friendships (user_high);

        CREATE TABLE refresh_sessions (
            id         TEXT    NOT NULL PRIMARY KEY,
            user_id    TEXT    NOT NULL,
            family_id  TEXT    NOT NULL,
            token_hash TEXT    NOT NULL,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            rotated_at INTEGER NULL,
            revoked_at INTEGER NULL
        );
        CREATE UNIQUE INDEX ux_refresh_sessions_token_hash ON refresh_sessions (token_hash);
        CREATE INDEX ix_refresh_sessions_family ON refresh_sessions (family_id);
        CREATE INDEX ix_refresh_sessions_user ON refresh_sessions (user_id);
        """,
        // 2: history is ordered by a per-conversation sequence number taken in the send transaction (ids from
        // several processes are not ordered within a second). Existing messages are numbered in id order.
        """
        ALTER TABLE conversations ADD COLUMN last_seq INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE messages ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
        UPDATE messages SET seq = (
            SELECT COUNT(*) FROM messages earlier
            WHERE earlier.conversation_id = messages.conversation_id AND earlier.id <= messages.id);
        UPDATE conversations SET last_seq = (SELECT COALESCE(MAX(seq), 0) FROM messages WHERE conversation_id = conversations.id);
        CREATE UNIQUE INDEX ux_messages_conversation_seq ON messages (conversation_id, seq);
        DROP INDEX ix_messages_conversation_id;
        """,
    ];
}
