using System.Data.Common;

namespace Raven.Chat.Internal.Storage;

/// <summary>
/// Connections, transactions and schema of one relational database. Everything a dialect differs in is here
/// (connections, write serialization, isolation, migrations, error codes); queries stay portable and take a
/// <see cref="DbSession"/>. Store failures that are not the caller's fault leave as
/// <see cref="ChatErrorKind.Unavailable"/>, after the transaction was rolled back.
/// </summary>
internal abstract class SqlStore : IAsyncDisposable
{
    private const int MaxConflictRetries = 12;

    private readonly SemaphoreSlim _initGate = new(1, 1);
    private readonly Lazy<GroupCommitWriter> _groupWriter;
    private volatile bool _initialized;

    protected SqlStore() => _groupWriter = new Lazy<GroupCommitWriter>(() => new GroupCommitWriter(this), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Creates or migrates the schema; idempotent and safe to call concurrently (also from several processes).</summary>
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
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await ReadOnceAsync(work, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (attempt == 1 && IsStaleConnection(ex))
            {
                // Reads are safe to repeat; the stale pool was dropped, the next connection is fresh.
            }
            catch (Exception ex) when (IsUnavailable(ex, ct))
            {
                throw Unavailable(ex);
            }
        }
    }

    private async Task<T> ReadOnceAsync<T>(Func<DbSession, Task<T>> work, CancellationToken ct)
    {
        await InitializeAsync(ct).ConfigureAwait(false);
        await using ConnectionLease lease = await RentAsync(ct).ConfigureAwait(false);
        try
        {
            await using DbTransaction transaction = await BeginReadTransactionAsync(lease.Connection, ct).ConfigureAwait(false);
            T result = await work(new DbSession(lease, transaction, ct, this)).ConfigureAwait(false);
            await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
            return result;
        }
        catch (Exception ex) when (ex is not ChatException)
        {
            lease.Discard();
            throw;
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one write transaction with serializable semantics: committed when it returns,
    /// rolled back when it throws, so a failed rule check half way leaves nothing behind. Where the database reports
    /// a serialization conflict with another writer (PostgreSQL), the whole unit is run again; <paramref name="work"/>
    /// must therefore have no effects outside the database.
    /// </summary>
    public async Task<T> WriteAsync<T>(Func<DbSession, Task<T>> work, CancellationToken ct)
    {
        bool committing = false, staleRetried = false;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await InitializeAsync(ct).ConfigureAwait(false);
                await using IAsyncDisposable writeLock = await AcquireWriteLockAsync(ct).ConfigureAwait(false);
                await using ConnectionLease lease = await RentAsync(ct).ConfigureAwait(false);
                committing = false;
                try
                {
                    await using DbTransaction transaction = await BeginWriteTransactionAsync(lease.Connection, grouped: false, ct).ConfigureAwait(false);
                    T result = await work(new DbSession(lease, transaction, ct, this)).ConfigureAwait(false);
                    // Not cancellable: once the work succeeded, abandoning the commit would only lose it.
                    committing = true;
                    await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
                    return result;
                }
                catch (Exception ex) when (ex is not ChatException && !(ex is DbException db && IsUniqueViolation(db)))
                {
                    lease.Discard();
                    throw;
                }
            }
            catch (DbException ex) when (IsSerializationConflict(ex) && attempt < MaxConflictRetries)
            {
                await ConflictBackoffAsync(attempt, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (!committing && !staleRetried && IsStaleConnection(ex))
            {
                // Failed before COMMIT was sent, so nothing was written: safe to run once more on a fresh connection.
                staleRetried = true;
            }
            catch (Exception ex) when (IsUnavailable(ex, ct))
            {
                throw Unavailable(ex);
            }
        }
    }

    /// <summary>
    /// Like <see cref="WriteAsync{T}"/>, but shares one transaction (and one commit) with the other grouped writes
    /// that are waiting at the same time; each runs under its own savepoint, so one failing leaves the others intact.
    /// The returned task completes only after that commit, so "stored before announced" holds per call.
    /// For short, hot writes (sending a message). <paramref name="work"/> may run again after a conflict.
    /// </summary>
    /// <param name="lockKey">
    /// The row the write locks first (the conversation). A batch runs its writes ordered by this key (stable, so
    /// writes with the same key keep their arrival order); batches on different nodes then take their locks in the
    /// same order and cannot deadlock each other.
    /// </param>
    public Task<T> WriteGroupedAsync<T>(string lockKey, Func<DbSession, Task<T>> work, CancellationToken ct) =>
        _groupWriter.Value.EnqueueAsync(lockKey, work, ct);

    /// <summary>True when the exception is a unique-constraint violation (raced duplicate).</summary>
    public abstract bool IsUniqueViolation(DbException exception);

    /// <summary>Any integrity-constraint violation (unique, foreign key, not null, check).</summary>
    public abstract bool IsConstraintViolation(DbException exception);

    /// <summary>A transaction lost a serialization race and can simply be run again (PostgreSQL 40001/40P01).</summary>
    public virtual bool IsSerializationConflict(DbException exception) => false;

    /// <summary>
    /// True for failures of the database itself (unreachable, locked, read-only, out of space, I/O), as opposed
    /// to bugs or rule violations. <paramref name="ct"/> tells a caller's cancellation apart from a timeout.
    /// </summary>
    public bool IsUnavailable(Exception exception, CancellationToken ct) => exception switch
    {
        ChatException => false,
        OperationCanceledException => !ct.IsCancellationRequested,
        DbException db => !IsUniqueViolation(db) && IsUnavailableCore(db),
        TimeoutException or IOException or System.Net.Sockets.SocketException => true,
        _ => false,
    };

    /// <summary>
    /// The domain error for a store failure. The cause stays attached as the inner exception for the server's log;
    /// it is not put into <see cref="ChatException.Details"/>, which clients see (paths, hosts).
    /// </summary>
    public static ChatException Unavailable(Exception cause) =>
        new(ChatErrorKind.Unavailable, "The chat database is unavailable; try again shortly", null, cause);

    /// <summary>A connection for tests and tools that check raw rows.</summary>
    internal ValueTask<ConnectionLease> RentForTestsAsync(CancellationToken ct) => RentAsync(ct);

    internal ValueTask<ConnectionLease> RentWriterAsync(CancellationToken ct) => RentAsync(ct);

    internal ValueTask<IAsyncDisposable> AcquireGroupWriteLockAsync(CancellationToken ct) => AcquireWriteLockAsync(ct);

    internal ValueTask<DbTransaction> BeginGroupTransactionAsync(DbConnection connection, CancellationToken ct) =>
        BeginWriteTransactionAsync(connection, grouped: true, ct);

    internal static Task ConflictBackoffAsync(int attempt, CancellationToken ct) =>
        Task.Delay(Random.Shared.Next(1, 2 + Math.Min(50, attempt * attempt * 2)), ct);

    /// <summary>
    /// True when <paramref name="exception"/> says the connection itself was dead (e.g. a pooled connection the
    /// database closed while it was down or restarting). The store then drops its idle connections
    /// (<see cref="ClearIdleConnections"/>), and a unit that had not sent COMMIT yet is run once more.
    /// </summary>
    public bool IsStaleConnection(Exception exception)
    {
        if (!IsStaleConnectionCore(exception))
        {
            return false;
        }

        ClearIdleConnections();
        return true;
    }

    protected virtual bool IsStaleConnectionCore(Exception exception) => false;

    /// <summary>Closes every idle pooled connection (they may all have been cut by the same outage).</summary>
    protected virtual void ClearIdleConnections()
    {
    }

    /// <summary>Dialect part of <see cref="IsUnavailable"/>.</summary>
    protected abstract bool IsUnavailableCore(DbException exception);

    /// <summary>An open connection with its settings applied; returned to the store's pool on dispose.</summary>
    protected abstract ValueTask<ConnectionLease> RentAsync(CancellationToken ct);

    /// <summary>
    /// Held for the whole write transaction (SQLite: one writer per process; PostgreSQL: nothing, the
    /// database orders writers itself).
    /// </summary>
    protected abstract ValueTask<IAsyncDisposable> AcquireWriteLockAsync(CancellationToken ct);

    /// <summary>A transaction that takes no write lock (SQLite: deferred; PostgreSQL: REPEATABLE READ, READ ONLY).</summary>
    protected abstract ValueTask<DbTransaction> BeginReadTransactionAsync(DbConnection connection, CancellationToken ct);

    /// <summary>
    /// A write transaction. <paramref name="grouped"/>: one of the group commit's (PostgreSQL uses READ COMMITTED
    /// there, as those writes order themselves by locking their conversation row first; other writes are SERIALIZABLE).
    /// </summary>
    protected abstract ValueTask<DbTransaction> BeginWriteTransactionAsync(DbConnection connection, bool grouped, CancellationToken ct);

    protected abstract Task MigrateAsync(CancellationToken ct);

    public virtual async ValueTask DisposeAsync()
    {
        if (_groupWriter.IsValueCreated)
        {
            await _groupWriter.Value.DisposeAsync().ConfigureAwait(false);
        }

        _initGate.Dispose();
        GC.SuppressFinalize(this);
    }
}
