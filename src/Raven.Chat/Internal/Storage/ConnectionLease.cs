using System.Data.Common;

namespace Raven.Chat.Internal.Storage;

/// <summary>
/// An open connection borrowed from a store for one unit of work. Disposing hands it back; after
/// <see cref="Discard"/> (a failure whose effect on the connection is unknown) the store closes it instead,
/// so the next operation starts on a fresh connection once the fault is gone.
/// </summary>
internal sealed class ConnectionLease(DbConnection connection, CommandCache? commands, Func<ConnectionLease, bool, ValueTask> release)
    : IAsyncDisposable
{
    private bool _discard;
    private int _released;

    public DbConnection Connection { get; } = connection;

    /// <summary>Prepared commands kept with this physical connection; null when the driver caches them itself.</summary>
    public CommandCache? Commands { get; } = commands;

    public void Discard() => _discard = true;

    public ValueTask DisposeAsync() =>
        Interlocked.Exchange(ref _released, 1) == 0 ? release(this, !_discard) : ValueTask.CompletedTask;
}

/// <summary>
/// Commands of one physical connection by SQL text, so a statement is parsed and planned once per connection
/// and afterwards only re-bound (Microsoft.Data.Sqlite keeps a command's prepared statements between executions).
/// Not thread-safe: a connection serves one unit of work at a time.
/// </summary>
internal sealed class CommandCache(DbConnection connection, int capacity = 128) : IDisposable
{
    private readonly Dictionary<string, DbCommand> _commands = new(StringComparer.Ordinal);

    /// <summary>A command for <paramref name="sql"/> bound to the given values; <paramref name="owned"/> false when the cache keeps it.</summary>
    public DbCommand Get(string sql, DbTransaction? transaction, ReadOnlySpan<(string Name, object? Value)> parameters, out bool owned)
    {
        owned = false;
        if (!_commands.TryGetValue(sql, out DbCommand? command))
        {
            command = connection.CreateCommand();
            command.CommandText = sql;
            if (_commands.Count < capacity)
            {
                _commands.Add(sql, command);
            }
            else
            {
                // Rare: SQL built from input sizes (IN lists). Use once and let go.
                owned = true;
            }
        }

        command.Transaction = transaction;
        DbParameterCollection existing = command.Parameters;
        if (!SameNames(existing, parameters))
        {
            existing.Clear();
            foreach ((string name, _) in parameters)
            {
                DbParameter parameter = command.CreateParameter();
                parameter.ParameterName = name;
                existing.Add(parameter);
            }
        }

        for (int i = 0; i < parameters.Length; i++)
        {
            existing[i].Value = parameters[i].Value ?? DBNull.Value;
        }

        return command;
    }

    public void Dispose()
    {
        foreach (DbCommand command in _commands.Values)
        {
            command.Dispose();
        }

        _commands.Clear();
    }

    private static bool SameNames(DbParameterCollection existing, ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        if (existing.Count != parameters.Length)
        {
            return false;
        }

        for (int i = 0; i < parameters.Length; i++)
        {
            if (!string.Equals(existing[i].ParameterName, parameters[i].Name, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}
