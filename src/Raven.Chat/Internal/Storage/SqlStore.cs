using System.Data.Common;

namespace Raven.Chat.Internal.Storage;

/// <summary>
/// Connections, transactions and schema of one relational database. Everything a dialect differs in is here
/// (opening, write serialization, migrations, error codes); queries stay portable and take a <see cref="DbSession"/>.
/// A PostgreSQL store is another subclass over an NpgsqlDataSource.
/// </summary>
internal abstract class SqlStore : IAsyncDisposable
{
    private readonly SemaphoreSlim _initGate = new(1, 1);
    private volatile bool _initialized;

    /// <summary>Creates or migrates the schema; idempotent and safe to call concurrently.</summary>
    public async Task InitializeAsync(CancellationToken ct)
    {
        if (_initialized)
        {
            return;
        }

        await _initGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (!_initialized)
            {
                await MigrateAsync(ct).ConfigureAwait(false);
                _initialized = true;
            }
        }
        finally
        {
            _initGate.Release();
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> in a read-only transaction, so its several queries see one snapshot
    /// (a list and its last messages agree) without waiting for writers.
    /// </summary>
    public async Task<T> ReadAsync<T>(Func<DbSession, Task<T>> work, CancellationToken ct)
    {
        await InitializeAsync(ct).ConfigureAwait(false);
        await using DbConnection connection = await OpenAsync(ct).ConfigureAwait(false);
        await using DbTransaction transaction = await BeginReadTransactionAsync(connection, ct).ConfigureAwait(false);
        T result = await work(new DbSession(connection, transaction, ct)).ConfigureAwait(false);
        await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one write transaction: committed when it returns, rolled back when it throws,
    /// so a failed rule check half way leaves nothing behind.
    /// </summary>
    public async Task<T> WriteAsync<T>(Func<DbSession, Task<T>> work, CancellationToken ct)
    {
        await InitializeAsync(ct).ConfigureAwait(false);
        await using IAsyncDisposable writeLock = await AcquireWriteLockAsync(ct).ConfigureAwait(false);
        await using DbConnection connection = await OpenAsync(ct).ConfigureAwait(false);
        await using DbTransaction transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        T result = await work(new DbSession(connection, transaction, ct)).ConfigureAwait(false);
        // Not cancellable: once the work succeeded, abandoning the commit would only lose it.
        await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
        return result;
    }

    /// <summary>True when the exception is a unique-constraint violation (raced duplicate).</summary>
    public abstract bool IsUniqueViolation(DbException exception);

    protected abstract ValueTask<DbConnection> OpenAsync(CancellationToken ct);

    /// <summary>
    /// Held for the whole write transaction. Serializing writes also makes commit order equal id order,
    /// which gap-free <c>after</c> pagination depends on.
    /// </summary>
    protected abstract ValueTask<IAsyncDisposable> AcquireWriteLockAsync(CancellationToken ct);

    /// <summary>A transaction that takes no write lock (SQLite: deferred; PostgreSQL: REPEATABLE READ, READ ONLY).</summary>
    protected abstract ValueTask<DbTransaction> BeginReadTransactionAsync(DbConnection connection, CancellationToken ct);

    protected abstract Task MigrateAsync(CancellationToken ct);

    public virtual ValueTask DisposeAsync()
    {
        _initGate.Dispose();
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}
