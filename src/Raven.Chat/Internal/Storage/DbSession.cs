using System.Data.Common;

namespace Raven.Chat.Internal.Storage;

/// <summary>
/// One unit of work on one connection (inside a transaction for writes). Queries are written once in
/// portable SQL against this type; the dialect lives in <see cref="SqlStore"/> subclasses.
/// </summary>
internal sealed class DbSession(ConnectionLease lease, DbTransaction? transaction, CancellationToken cancellationToken, SqlStore store)
{
    /// <summary>The store this session belongs to (error classification).</summary>
    public SqlStore Store { get; } = store;

    public DbConnection Connection => lease.Connection;

    public DbTransaction? Transaction { get; } = transaction;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    // The public methods build the command synchronously (spans cannot cross an await) and hand it over.

    public Task<int> ExecuteAsync(string sql, params ReadOnlySpan<(string Name, object? Value)> parameters) =>
        ExecuteCoreAsync(CreateCommand(sql, parameters));

    public Task<List<T>> QueryAsync<T>(string sql, Func<DbDataReader, T> map, params ReadOnlySpan<(string Name, object? Value)> parameters) =>
        QueryCoreAsync(CreateCommand(sql, parameters), map);

    public Task<T?> QueryFirstAsync<T>(string sql, Func<DbDataReader, T> map, params ReadOnlySpan<(string Name, object? Value)> parameters)
        where T : class =>
        QueryFirstCoreAsync(CreateCommand(sql, parameters), map);

    public Task<long?> ScalarInt64Async(string sql, params ReadOnlySpan<(string Name, object? Value)> parameters) =>
        ScalarCoreAsync(CreateCommand(sql, parameters));

    private async Task<int> ExecuteCoreAsync(Lent command)
    {
        try
        {
            return await command.Command.ExecuteNonQueryAsync(CancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await command.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<List<T>> QueryCoreAsync<T>(Lent command, Func<DbDataReader, T> map)
    {
        try
        {
            DbDataReader reader = await command.Command.ExecuteReaderAsync(CancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                var results = new List<T>();
                while (await reader.ReadAsync(CancellationToken).ConfigureAwait(false))
                {
                    results.Add(map(reader));
                }

                return results;
            }
        }
        finally
        {
            await command.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<T?> QueryFirstCoreAsync<T>(Lent command, Func<DbDataReader, T> map)
        where T : class
    {
        try
        {
            DbDataReader reader = await command.Command.ExecuteReaderAsync(CancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                return await reader.ReadAsync(CancellationToken).ConfigureAwait(false) ? map(reader) : null;
            }
        }
        finally
        {
            await command.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<long?> ScalarCoreAsync(Lent command)
    {
        try
        {
            object? value = await command.Command.ExecuteScalarAsync(CancellationToken).ConfigureAwait(false);
            return value is null or DBNull ? null : Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
        }
        finally
        {
            await command.DisposeAsync().ConfigureAwait(false);
        }
    }

    private Lent CreateCommand(string sql, ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        if (lease.Commands is { } cache)
        {
            DbCommand cached = cache.Get(sql, Transaction, parameters, out bool owned);
            return new Lent(cached, owned);
        }

        DbCommand command = Connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = Transaction;
        foreach ((string name, object? value) in parameters)
        {
            DbParameter parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        return new Lent(command, Owned: true);
    }

    /// <summary>A command for one execution: disposed afterwards unless a <see cref="CommandCache"/> keeps it.</summary>
    private readonly record struct Lent(DbCommand Command, bool Owned) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Owned ? Command.DisposeAsync() : ValueTask.CompletedTask;
    }
}

/// <summary>Column readers shared by the query classes.</summary>
internal static class DbReaderExtensions
{
    public static string? GetNullableString(this DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public static DateTimeOffset GetTimestamp(this DbDataReader reader, int ordinal) =>
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal));

    public static DateTimeOffset? GetNullableTimestamp(this DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal));
}
