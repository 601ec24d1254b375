using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Raven.Server.Realtime.Internal;

namespace Raven.Server.Tests.Realtime;

/// <summary>
/// Which requests skip the REST pipeline: WebSocket handshakes for the realtime path only (the paths its route
/// matches), never polling or other paths. The WebSocket path itself is exercised end to end by every test that
/// connects a socket over WebSocket to a server on Kestrel.
/// </summary>
public sealed class RealtimeEndpointTests
{
    [Theory]
    [InlineData("/socket.io", true)]
    [InlineData("/socket.io/", true)]
    [InlineData("/SOCKET.IO/", true)]
    [InlineData("/socket.io/x", false)]
    [InlineData("/socket.iox", false)]
    [InlineData("/socket.io//", false)]
    [InlineData("/api/socket.io", false)]
    [InlineData("/", false)]
    public void Only_the_realtime_paths_qualify(string path, bool expected)
    {
        Assert.Equal(expected, RealtimeEndpoint.IsWebSocketRequestFor(Request(path, upgradable: true, upgrade: "websocket"), "/socket.io"));
    }

    [Theory]
    [InlineData(true, "websocket", true)]
    [InlineData(true, "WebSocket", true)]
    [InlineData(true, "h2c", false)]
    [InlineData(true, null, false)]
    [InlineData(false, "websocket", false)]
    public void Only_WebSocket_upgrades_qualify(bool upgradable, string? upgrade, bool expected)
    {
        Assert.Equal(expected, RealtimeEndpoint.IsWebSocketRequestFor(Request("/socket.io/", upgradable, upgrade), "/socket.io"));
    }

    [Fact]
    public void An_HTTP2_extended_CONNECT_for_websocket_qualifies()
    {
        var context = new DefaultHttpContext();
        context.Request.Path = "/socket.io/";
        context.Features.Set<IHttpExtendedConnectFeature>(new ExtendedConnect("websocket"));
        Assert.True(RealtimeEndpoint.IsWebSocketRequestFor(context, "/socket.io"));
        context.Features.Set<IHttpExtendedConnectFeature>(new ExtendedConnect("webtransport"));
        Assert.False(RealtimeEndpoint.IsWebSocketRequestFor(context, "/socket.io"));
    }

    private static DefaultHttpContext Request(string path, bool upgradable, string? upgrade)
    {
        var context = new DefaultHttpContext();
        context.Request.Path = path;
        context.Features.Set<IHttpUpgradeFeature>(new Upgradable(upgradable));
        if (upgrade is not null)
        {
            context.Request.Headers.Upgrade = upgrade;
        }

        return context;
    }

    private sealed class Upgradable(bool upgradable) : IHttpUpgradeFeature
    {
        public bool IsUpgradableRequest => upgradable;

        public Task<Stream> UpgradeAsync() => throw new NotSupportedException();
    }

    private sealed class ExtendedConnect(string protocol) : IHttpExtendedConnectFeature
    {
        public bool IsExtendedConnect => true;

        public string? Protocol => protocol;

        public ValueTask<Stream> AcceptAsync() => throw new NotSupportedException();
    }
}
