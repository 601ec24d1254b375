using System.Data.Common;
using System.Threading.Channels;

namespace Raven.Chat.Internal.Storage;

/// <summary>
/// Group commit: one writer loop drains what is waiting (up to <see cref="MaxBatch"/>) into one transaction,
/// each write under its own savepoint, and completes every caller only after the commit. Concurrent sends thus
/// share one commit (one fsync on SQLite, one round trip set on PostgreSQL) while each still learns its own
/// outcome, and none is announced before it is durable.
/// </summary>
/// <remarks>
/// The queue is bounded (<see cref="Capacity"/>); when it is full, callers wait for room (backpressure to the
/// senders, no unbounded memory). A caller cancelled while still queued is dropped before its work runs.
/// </remarks>
internal sealed class GroupCommitWriter : IAsyncDisposable
{
    private const int Capacity = 4096;
    private const int MaxBatch = 128;
    private const int MaxConflictRetries = 12;

    private readonly SqlStore _store;
    private readonly Channel<PendingWrite> _queue = Channel.CreateBounded<PendingWrite>(
        new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly Task _loop;
    private bool _committing;

    public GroupCommitWriter(SqlStore store)
    {
        _store = store;
        _loop = Task.Run(RunAsync);
    }

    public async Task<T> EnqueueAsync<T>(string lockKey, Func<DbSession, Task<T>> work, CancellationToken ct)
    {
        var pending = new PendingWrite<T>(lockKey, work, ct);
        await _queue.Writer.WriteAsync(pending, ct).ConfigureAwait(false);
        return await pending.Task.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var batch = new List<PendingWrite>(MaxBatch);
        ChannelReader<PendingWrite> reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && reader.TryRead(out PendingWrite? pending))
            {
                if (pending.TryDropIfCancelled())
                {
                    continue;
                }

                batch.Add(pending);
            }

            if (batch.Count > 0)
            {
                SortByLockKey(batch);
                await CommitWithRetriesAsync(batch).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Stable: writes to one conversation keep their arrival order (List.Sort is not stable).</summary>
    private static void SortByLockKey(List<PendingWrite> batch)
    {
        if (batch.Count < 2)
        {
            return;
        }

        PendingWrite[] ordered = [.. batch.OrderBy(p => p.LockKey, StringComparer.Ordinal)];
        batch.Clear();
        batch.AddRange(ordered);
    }

    private async Task CommitWithRetriesAsync(List<PendingWrite> batch)
    {
        bool staleRetried = false;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await CommitAsync(batch).ConfigureAwait(false);
                foreach (PendingWrite pending in batch)
                {
                    pending.Publish();
                }

                return;
            }
            catch (DbException ex) when (_store.IsSerializationConflict(ex) && attempt < MaxConflictRetries)
            {
                await SqlStore.ConflictBackoffAsync(attempt, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (!_committing && !staleRetried && _store.IsStaleConnection(ex))
            {
                // A pooled connection cut by an outage, before COMMIT was sent: nothing was written, run the batch again.
                staleRetried = true;
            }
#pragma warning disable CA1031 // The loop must survive anything; every caller gets the failure instead.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Exception failure = _store.IsUnavailable(ex, CancellationToken.None) ? SqlStore.Unavailable(ex) : ex;
                foreach (PendingWrite pending in batch)
                {
                    pending.Fail(failure);
                }

                return;
            }
        }
    }

    /// <summary>One transaction for the batch. Throws only for failures of the batch as a whole.</summary>
    private async Task CommitAsync(List<PendingWrite> batch)
    {
        await _store.InitializeAsync(CancellationToken.None).ConfigureAwait(false);
        await using IAsyncDisposable writeLock = await _store.AcquireGroupWriteLockAsync(CancellationToken.None).ConfigureAwait(false);
        await using ConnectionLease lease = await _store.RentWriterAsync(CancellationToken.None).ConfigureAwait(false);
        _committing = false;
        try
        {
            await using DbTransaction transaction = await _store.BeginGroupTransactionAsync(lease.Connection, CancellationToken.None).ConfigureAwait(false);
            // Work inside the transaction is not cancellable: abandoning it half way would only cost the others.
            var session = new DbSession(lease, transaction, CancellationToken.None, _store);
            bool alone = batch.Count == 1;
            foreach (PendingWrite pending in batch)
            {
                pending.Reset();
                if (alone)
                {
                    // No savepoint needed: the transaction is this write's unit. A domain failure rolls it back below.
                    await pending.RunAsync(session).ConfigureAwait(false);
                    continue;
                }

                await transaction.SaveAsync("w").ConfigureAwait(false);
                if (await pending.RunAsync(session).ConfigureAwait(false))
                {
                    await transaction.ReleaseAsync("w").ConfigureAwait(false);
                }
                else
                {
                    await transaction.RollbackAsync("w").ConfigureAwait(false);
                }
            }

            if (alone && batch[0].Failed)
            {
                await transaction.RollbackAsync().ConfigureAwait(false);
                return;
            }

            _committing = true;
            await transaction.CommitAsync().ConfigureAwait(false);
        }
        catch
        {
            lease.Discard();
            throw;
        }
    }

    private abstract class PendingWrite(string lockKey)
    {
        public string LockKey { get; } = lockKey;

        public abstract bool Failed { get; }

        /// <summary>
        /// Runs the work; false (with the failure kept) when it threw something that concerns only this write: a rule
        /// (<see cref="ChatException"/>) or a constraint violation, which its savepoint undoes. Anything else, e.g. the
        /// disk filling up or the connection dropping, propagates and ends the whole batch.
        /// </summary>
        public abstract Task<bool> RunAsync(DbSession session);

        public abstract void Reset();

        /// <summary>After the commit: hands each caller its result or its own failure.</summary>
        public abstract void Publish();

        public abstract void Fail(Exception failure);

        public abstract bool TryDropIfCancelled();
    }

    private sealed class PendingWrite<T>(string lockKey, Func<DbSession, Task<T>> work, CancellationToken ct) : PendingWrite(lockKey)
    {
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _result;
        private Exception? _failure;

        public Task<T> Task => _completion.Task;

        public override bool Failed => _failure is not null;

        public override async Task<bool> RunAsync(DbSession session)
        {
            try
            {
                _result = await work(session).ConfigureAwait(false);
                return true;
            }
            catch (ChatException ex)
            {
                _failure = ex;
                return false;
            }
            catch (DbException ex) when (session.Store.IsConstraintViolation(ex))
            {
                _failure = ex;
                return false;
            }
        }

        public override void Reset()
        {
            _result = default;
            _failure = null;
        }

        public override void Publish()
        {
            if (_failure is not null)
            {
                _completion.TrySetException(_failure);
            }
            else
            {
                _completion.TrySetResult(_result!);
            }
        }

        public override void Fail(Exception failure) => _completion.TrySetException(failure);

        public override bool TryDropIfCancelled() => ct.IsCancellationRequested && _completion.TrySetCanceled(ct);

    }
}
