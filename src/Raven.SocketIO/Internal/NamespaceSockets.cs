namespace Raven.SocketIO.Internal;

/// <summary>
/// A client's sockets by namespace name. Almost every client joins one namespace, so the first socket is held in
/// two fields and a dictionary exists only once a second namespace connects (a dictionary per idle connection is
/// ~200 bytes). Not thread-safe: the owning <see cref="SocketClient"/> uses it under its lock. A mutable struct held
/// in a field: never copy it.
/// </summary>
internal struct NamespaceSockets
{
    private string? _firstName;
    private SocketIOSocket? _first;
    private Dictionary<string, SocketIOSocket>? _others;

    public readonly int Count => (_first is null ? 0 : 1) + (_others?.Count ?? 0);

    public readonly bool TryGetValue(string name, out SocketIOSocket socket)
    {
        if (IsFirst(name))
        {
            socket = _first!;
            return true;
        }

        if (_others is not null && _others.TryGetValue(name, out var other))
        {
            socket = other;
            return true;
        }

        socket = null!;
        return false;
    }

    /// <summary>Adds or replaces the socket of <paramref name="name"/>.</summary>
    public void Set(string name, SocketIOSocket socket)
    {
        if (IsFirst(name))
        {
            _first = socket;
        }
        else if (_others is not null && _others.ContainsKey(name))
        {
            _others[name] = socket;
        }
        else if (_first is null)
        {
            (_firstName, _first) = (name, socket);
        }
        else
        {
            (_others ??= new Dictionary<string, SocketIOSocket>(StringComparer.Ordinal))[name] = socket;
        }
    }

    public void Remove(string name)
    {
        if (IsFirst(name))
        {
            (_firstName, _first) = (null, null);
        }
        else
        {
            _others?.Remove(name);
        }
    }

    public readonly SocketIOSocket[] ToArray()
    {
        if (_others is null || _others.Count == 0)
        {
            return _first is null ? [] : [_first];
        }

        return _first is null ? [.. _others.Values] : [_first, .. _others.Values];
    }

    private readonly bool IsFirst(string name) => _first is not null && string.Equals(_firstName, name, StringComparison.Ordinal);
}
