using System.Net;
using System.Net.Sockets;

namespace Raven.Testing;

/// <summary>Free TCP ports on 127.0.0.1, for the rare cases that need a port before a server starts.</summary>
public static class FreePort
{
    /// <summary>
    /// A port that was free a moment ago (the OS picked it for a listener that is closed again).
    /// Prefer binding port 0 directly (<see cref="TestHost"/> does); another process may take this port first.
    /// </summary>
    public static int Get()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
