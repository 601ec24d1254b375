using System.Text.Json.Nodes;

namespace Raven.SocketIO.Tests.OfficialClient;

/// <summary>socket.io-client / engine.io-client options for the transport variants every scenario runs on.</summary>
internal static class ClientOptions
{
    /// <summary>The transport variants: WebSocket only, long-polling only, and polling upgraded to WebSocket.</summary>
    public static TheoryData<string> Transports => new() { "websocket", "polling", "upgrade" };

    /// <summary>
    /// A fresh manager (<c>forceNew</c>) with the given transports; reconnection off unless asked for, so a
    /// failure shows up as an event instead of a retry loop.
    /// </summary>
    public static JsonObject For(string transports, JsonNode? auth = null, bool reconnection = false)
    {
        var options = new JsonObject
        {
            ["forceNew"] = true,
            ["reconnection"] = reconnection,
            ["transports"] = TransportList(transports),
        };
        if (transports == "polling")
        {
            options["upgrade"] = false;
        }

        if (auth is not null)
        {
            options["auth"] = auth;
        }

        return options;
    }

    /// <summary>Raw engine.io-client options for an endpoint path such as <c>/engine.io/</c>.</summary>
    public static JsonObject Engine(string transports, string path)
    {
        var options = new JsonObject { ["path"] = path, ["transports"] = TransportList(transports) };
        if (transports == "polling")
        {
            options["upgrade"] = false;
        }

        return options;
    }

    private static JsonArray TransportList(string transports) => transports switch
    {
        "websocket" => new JsonArray("websocket"),
        "polling" => new JsonArray("polling"),
        "upgrade" => new JsonArray("polling", "websocket"),
        _ => throw new ArgumentOutOfRangeException(nameof(transports), transports, "websocket, polling or upgrade"),
    };
}

/// <summary>Checks on the transport a connected official client ended up with.</summary>
internal static class TransportAssert
{
    /// <summary>
    /// "websocket" and "polling" must stay on their transport; "upgrade" must complete the polling → WebSocket upgrade.
    /// </summary>
    public static async Task UsesExpectedTransportAsync(Raven.Testing.SocketIOTestClient client, string transports)
    {
        if (transports == "upgrade")
        {
            Assert.Equal("websocket", (await client.WaitForEventAsync("engine:upgrade")).Arg(0).GetString());
        }

        Assert.Equal(transports == "polling" ? "polling" : "websocket", await client.GetTransportAsync());
    }
}
