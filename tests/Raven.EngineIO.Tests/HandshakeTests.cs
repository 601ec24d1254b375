using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Raven.EngineIO.Tests.Infrastructure;

namespace Raven.EngineIO.Tests;

/// <summary>conformance-app.md sections 2 and 3.1: handshakes, settings and request validation.</summary>
[Trait("Timing", "ConformanceHeartbeat")]
public sealed class HandshakeTests(ConformanceFixture server) : IClassFixture<ConformanceFixture>
{
    private static readonly string[] OpenKeys = ["maxPayload", "pingInterval", "pingTimeout", "sid", "upgrades"];

    [Fact]
    public async Task Polling_handshake_returns_exactly_the_five_keys_with_the_conformance_settings()
    {
        using var client = new EioClient(server.BaseUrl);
        var (status, body) = await client.GetAsync(client.PollingUrl());

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal('0', body[0]);
        var open = JsonDocument.Parse(body.AsMemory(1)).RootElement; // throws if anything follows the object
        Assert.Equal(OpenKeys, open.EnumerateObject().Select(p => p.Name).Order());
        Assert.False(string.IsNullOrEmpty(open.GetProperty("sid").GetString()));
        Assert.Equal(["websocket"], open.GetProperty("upgrades").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(300, open.GetProperty("pingInterval").GetInt32());
        Assert.Equal(200, open.GetProperty("pingTimeout").GetInt32());
        Assert.Equal(1000000, open.GetProperty("maxPayload").GetInt32());
    }

    [Fact]
    public async Task WebSocket_handshake_sends_the_open_packet_first_with_no_upgrades()
    {
        using var client = new EioClient(server.BaseUrl);
        var (socket, sid, open) = await client.WebSocketHandshakeAsync();
        using (socket)
        {
            Assert.Equal(OpenKeys, open.EnumerateObject().Select(p => p.Name).Order());
            Assert.False(string.IsNullOrEmpty(sid));
            Assert.Equal(0, open.GetProperty("upgrades").GetArrayLength());
            Assert.Equal(300, open.GetProperty("pingInterval").GetInt32());
            Assert.Equal(200, open.GetProperty("pingTimeout").GetInt32());
            Assert.Equal(1000000, open.GetProperty("maxPayload").GetInt32());
        }
    }

    [Fact]
    public async Task Sessions_get_distinct_ids()
    {
        using var client = new EioClient(server.BaseUrl);
        var first = await client.HandshakeAsync();
        var second = await client.HandshakeAsync();
        Assert.NotEqual(first.Sid, second.Sid);
    }

    [Theory]
    [InlineData("/engine.io/?transport=polling", 5)]
    [InlineData("/engine.io/?EIO=abc&transport=polling", 5)]
    [InlineData("/engine.io/?EIO=3&transport=polling", 5)]
    [InlineData("/engine.io/?EIO=4", 0)]
    [InlineData("/engine.io/?EIO=4&transport=abc", 0)]
    [InlineData("/engine.io/?EIO=4&transport=polling&sid=unknown", 1)]
    [InlineData("/engine.io/?EIO=4&transport=websocket", 3)] // websocket transport without an upgrade
    public async Task Invalid_requests_get_400_with_the_node_error_body(string url, int code)
    {
        using var client = new EioClient(server.BaseUrl);
        using var response = await client.Http.GetAsync(url);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(code, error.GetProperty("code").GetInt32());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("PUT")]
    public async Task Only_a_GET_can_create_a_session(string method)
    {
        using var client = new EioClient(server.BaseUrl);
        using var request = new HttpRequestMessage(new HttpMethod(method), client.PollingUrl()) { Content = new StringContent("4hello") };
        using var response = await client.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(2, error.GetProperty("code").GetInt32());
        Assert.Equal("Bad handshake method", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Post_with_an_unknown_sid_gets_400()
    {
        using var client = new EioClient(server.BaseUrl);
        var (status, _) = await client.SendAsync("does-not-exist", "4hello");
        Assert.Equal(HttpStatusCode.BadRequest, status);
    }

    [Theory]
    [InlineData("?EIO=abc&transport=websocket")]
    [InlineData("?transport=websocket")]
    [InlineData("?EIO=4&transport=abc")]
    [InlineData("?EIO=4")]
    public async Task WebSocket_with_an_invalid_query_is_refused(string query)
    {
        using var socket = new ClientWebSocket();
        var uri = new Uri(server.BaseUrl.Replace("http://", "ws://", StringComparison.Ordinal) + "/engine.io/" + query);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(uri, timeout.Token));
    }

    [Fact]
    public async Task Unknown_query_parameters_are_ignored()
    {
        using var client = new EioClient(server.BaseUrl);
        var (status, body) = await client.GetAsync("/engine.io/?EIO=4&transport=polling&t=burst&foo=bar");
        Assert.Equal(HttpStatusCode.OK, status);
        var sid = JsonDocument.Parse(body.AsMemory(1)).RootElement.GetProperty("sid").GetString()!;

        var (postStatus, postBody) = await client.PostAsync($"/engine.io/?EIO=4&transport=polling&sid={sid}&t=burst", "4x");
        Assert.Equal(HttpStatusCode.OK, postStatus);
        Assert.Equal("ok", postBody);
        Assert.Equal((HttpStatusCode.OK, "4x"), await client.GetAsync($"/engine.io/?t=abc&EIO=4&transport=polling&sid={sid}"));
    }

    [Fact]
    public async Task The_path_also_matches_without_its_trailing_slash()
    {
        using var client = new EioClient(server.BaseUrl, "/engine.io");
        var (sid, _) = await client.HandshakeAsync();
        await client.SendAsync(sid, "4abc");
        Assert.Equal((HttpStatusCode.OK, "4abc"), await client.PollAsync(sid));
    }

    [Fact]
    public async Task Other_paths_are_not_served()
    {
        using var client = new EioClient(server.BaseUrl);
        using var response = await client.Http.GetAsync("/engine.iox/?EIO=4&transport=polling");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
