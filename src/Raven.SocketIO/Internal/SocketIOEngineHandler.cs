using System.Buffers;
using Raven.EngineIO;

namespace Raven.SocketIO.Internal;

/// <summary>The seam: Engine.IO calls this for every session of the Socket.IO endpoint.</summary>
internal sealed class SocketIOEngineHandler : IEngineIOHandler
{
    private readonly SocketIOServer _server;

    public SocketIOEngineHandler(SocketIOServer server)
    {
        _server = server;
    }

    public ValueTask OnConnectedAsync(IEngineConnection connection)
    {
        connection.HandlerState = new SocketClient(_server, connection);
        return default;
    }

    /// <remarks>Completes when the packet was handled or queued; pending while the client's inbound queue is full.</remarks>
    public ValueTask OnTextAsync(IEngineConnection connection, ReadOnlySequence<byte> utf8)
        => GetClient(connection)?.OnText(utf8) ?? default;

    public ValueTask OnBinaryAsync(IEngineConnection connection, ReadOnlySequence<byte> data)
        => GetClient(connection)?.OnBinary(data) ?? default;

    public ValueTask OnClosedAsync(IEngineConnection connection, string reason)
    {
        GetClient(connection)?.OnClosed(reason);
        connection.HandlerState = null;
        return default;
    }

    private static SocketClient? GetClient(IEngineConnection connection) => connection.HandlerState as SocketClient;
}
