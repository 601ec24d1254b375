namespace Raven.SocketIO;

/// <summary>
/// A socket as <c>FetchSocketsAsync</c> returns it: a snapshot of its state plus operations that go through
/// the adapter, so they work whether the socket lives on this server or another one.
/// </summary>
public sealed class RemoteSocket
{
    private readonly SocketNamespace _nsp;

    public RemoteSocket(SocketNamespace nsp, string id, SocketHandshake handshake, IReadOnlySet<string> rooms, object? data)
    {
        _nsp = nsp;
        Id = id;
        Handshake = handshake;
        Rooms = rooms;
        Data = data;
    }

    /// <summary>The socket id.</summary>
    public string Id { get; }

    /// <summary>The socket's handshake.</summary>
    public SocketHandshake Handshake { get; }

    /// <summary>The socket's rooms when fetched.</summary>
    public IReadOnlySet<string> Rooms { get; }

    /// <summary>The socket's <see cref="SocketIOSocket.Data"/> when fetched.</summary>
    public object? Data { get; }

    /// <summary>Emits to this socket.</summary>
    public void Emit(string eventName, params object?[] args) => _nsp.To(Id).Emit(eventName, args);

    /// <summary>Makes the socket join rooms.</summary>
    public Task JoinAsync(params string[] rooms) => _nsp.In(Id).SocketsJoinAsync(rooms);

    /// <summary>Makes the socket leave rooms.</summary>
    public Task LeaveAsync(params string[] rooms) => _nsp.In(Id).SocketsLeaveAsync(rooms);

    /// <summary>Disconnects the socket.</summary>
    public Task DisconnectAsync(bool close = false) => _nsp.In(Id).DisconnectSocketsAsync(close);
}
