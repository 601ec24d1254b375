namespace Raven.SocketIO;

/// <summary>Disconnect reasons, spelled as Node.js Socket.IO spells them.</summary>
public static class DisconnectReasons
{
    /// <summary>The client sent DISCONNECT for the namespace (<c>socket.disconnect()</c> in the client).</summary>
    public const string ClientNamespaceDisconnect = "client namespace disconnect";

    /// <summary>The server called <see cref="SocketIOSocket.Disconnect"/>.</summary>
    public const string ServerNamespaceDisconnect = "server namespace disconnect";

    public const string TransportClose = "transport close";
    public const string TransportError = "transport error";
    public const string PingTimeout = "ping timeout";
    public const string ServerShuttingDown = "server shutting down";
    public const string ForcedClose = "forced close";

    /// <summary>The client sent a malformed packet; the connection was closed.</summary>
    public const string ParseError = "parse error";
}
