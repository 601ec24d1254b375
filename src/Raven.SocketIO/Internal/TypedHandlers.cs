using System.Text.Json;

namespace Raven.SocketIO.Internal;

/// <summary>Argument binding for the typed <c>On&lt;T&gt;</c> handlers: what happens when a client's payload does not fit.</summary>
internal static class TypedHandlers
{
    /// <summary>
    /// Binds argument <paramref name="index"/> (default when the client sent fewer arguments). On a binding error
    /// answers the event's ack, if any, with <see cref="SocketIOOptions.InvalidPayloadAck"/>, logs, and returns false.
    /// </summary>
    public static bool TryBind<T>(SocketIOEvent e, int index, out T value)
    {
        value = default!;
        if (index >= e.Count)
        {
            return true;
        }

        try
        {
            value = e.Get<T>(index)!;
            return true;
        }
        catch (JsonException ex)
        {
            var server = e.Socket.Namespace.Server;
            SocketIOLog.InvalidPayload(server.Logger, e.Name, e.Socket.Namespace.Name, e.Socket.Id, index);
            e.Ack(server.Options.InvalidPayloadAck(e, index, ex));
            return false;
        }
    }
}
