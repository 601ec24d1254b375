namespace Raven.SocketIO.Tests;

/// <summary>The public surface is deliberately small; growing it should be a visible decision.</summary>
public class PublicApiTests
{
    [Fact]
    public void PublicTypesAreTheDocumentedOnes()
    {
        var types = typeof(SocketIOServer).Assembly.GetExportedTypes().Select(t => t.FullName!).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(
            [
                "Raven.SocketIO.AckTimeoutException",
                "Raven.SocketIO.Adapter.BroadcastFlags",
                "Raven.SocketIO.Adapter.BroadcastOptions",
                "Raven.SocketIO.Adapter.EncodedPacket",
                "Raven.SocketIO.Adapter.LocalAdapter",
                "Raven.SocketIO.Adapter.SocketIOAdapter",
                "Raven.SocketIO.BroadcastOperator",
                "Raven.SocketIO.ConnectErrorException",
                "Raven.SocketIO.DisconnectReasons",
                "Raven.SocketIO.RawJson",
                "Raven.SocketIO.RemoteSocket",
                "Raven.SocketIO.ServerSideEvent",
                "Raven.SocketIO.SocketAck",
                "Raven.SocketIO.SocketHandshake",
                "Raven.SocketIO.SocketIOArguments",
                "Raven.SocketIO.SocketIOEndpointRouteBuilderExtensions",
                "Raven.SocketIO.SocketIOEvent",
                "Raven.SocketIO.SocketIOOptions",
                "Raven.SocketIO.SocketIOServer",
                "Raven.SocketIO.SocketIOServiceCollectionExtensions",
                "Raven.SocketIO.SocketIOSocket",
                "Raven.SocketIO.SocketNamespace",
            ],
            types);
    }
}
