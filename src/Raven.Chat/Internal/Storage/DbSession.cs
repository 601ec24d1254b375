using System.Data.Common;

namespace Raven.Chat.Internal.Storage;

/// <summary>
/// One unit of work on one connection (inside a transaction for writes). Queries are written once in
/// portable SQL against this type; the dialect lives in <see cref="SqlStore"/> subclasses.
/// </summary>
internal sealed class DbSession(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken)
{
    public DbConnection Connection { get; } = connection;

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

    private async Task<int> ExecuteCoreAsync(DbCommand command)
    {
        await using (command.ConfigureAwait(false))
        {
            return await command.ExecuteNonQueryAsync(CancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<List<T>> QueryCoreAsync<T>(DbCommand command, Func<DbDataReader, T> map)
    {
        await using (command.ConfigureAwait(false))
        {
            DbDataReader reader = await command.ExecuteReaderAsync(CancellationToken).ConfigureAwait(false);
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
    }

    private async Task<T?> QueryFirstCoreAsync<T>(DbCommand command, Func<DbDataReader, T> map)
        where T : class
    {
        await using (command.ConfigureAwait(false))
        {
            DbDataReader reader = await command.ExecuteReaderAsync(CancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                return await reader.ReadAsync(CancellationToken).ConfigureAwait(false) ? map(reader) : null;
            }
        }
    }

    private async Task<long?> ScalarCoreAsync(DbCommand command)
    {
        await using (command.ConfigureAwait(false))
        {
            object? value = await command.ExecuteScalarAsync(CancellationToken).ConfigureAwait(false);
            return value is null or DBNull ? null : Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    private DbCommand CreateCommand(string sql, ReadOnlySpan<(string Name, object? Value)> parameters)
    {
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

        return command;
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
