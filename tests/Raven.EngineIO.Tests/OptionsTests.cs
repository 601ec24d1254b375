using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Raven.EngineIO.Tests.Infrastructure;

namespace Raven.EngineIO.Tests;

/// <summary>Options and policies beyond the conformance checks: limits, CORS, AllowRequest, upgrade timeout.</summary>
public sealed class OptionsTests
{
    [Fact]
    public async Task An_oversized_post_gets_413_and_closes_only_that_session()
    {
        var handler = new RecordingHandler();
        await using var host = await EngineHost.StartAsync(handler, o => o.MaxHttpBufferSize = 100);
        using var client = new EioClient(host.BaseUrl);
        var (victim, open) = await client.HandshakeAsync();
        var (bystander, _) = await client.HandshakeAsync();
        Assert.Equal(100, open.GetProperty("maxPayload").GetInt32());

        Assert.Equal((HttpStatusCode.OK, "ok"), await client.SendAsync(victim, "4" + new string('a', 99)));
        Assert.Equal(HttpStatusCode.OK, (await client.PollAsync(victim)).Status);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await client.SendAsync(victim, "4" + new string('a', 100))).Status);

        Assert.Equal(HttpStatusCode.BadRequest, (await client.PollAsync(victim)).Status);
        Assert.Equal("transport error", await handler.ClosedReason(victim).WaitAsync(TimeSpan.FromSeconds(5)));
        await client.SendAsync(bystander, "4fine");
        Assert.Equal((HttpStatusCode.OK, "4fine"), await client.PollAsync(bystander));
    }

    [Fact]
    public async Task An_oversized_chunked_post_without_content_length_is_refused_too()
    {
        await using var host = await EngineHost.StartAsync(new RecordingHandler(), o => o.MaxHttpBufferSize = 100);
        using var client = new EioClient(host.BaseUrl);
        var (sid, _) = await client.HandshakeAsync();

        using var content = new StreamContent(new MemoryStream(Encoding.ASCII.GetBytes("4" + new string('z', 500))));
        using var request = new HttpRequestMessage(HttpMethod.Post, client.PollingUrl(sid)) { Content = content };
        request.Headers.TransferEncodingChunked = true;
        using var response = await client.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PollAsync(sid)).Status);
    }

    [Fact]
    public async Task An_oversized_websocket_message_closes_only_that_session()
    {
        var handler = new RecordingHandler();
        await using var host = await EngineHost.StartAsync(handler, o => o.MaxHttpBufferSize = 100);
        using var client = new EioClient(host.BaseUrl);
        var (victim, victimSid, _) = await client.WebSocketHandshakeAsync();
        var (bystander, _, _) = await client.WebSocketHandshakeAsync();
        using (victim)
        using (bystander)
        {
            await Ws.SendBinaryAsync(victim, new byte[100]);
            Assert.Equal(100, (await Ws.ReceiveSkippingPingsAsync(victim)).Data.Length);

            await Ws.SendBinaryAsync(victim, new byte[101]);
            Assert.True(await Ws.WaitForCloseAsync(victim, TimeSpan.FromSeconds(2)));
            Assert.Equal("transport error", await handler.ClosedReason(victimSid).WaitAsync(TimeSpan.FromSeconds(5)));

            await Ws.SendTextAsync(bystander, "4fine");
            Assert.Equal("4fine", (await Ws.ReceiveSkippingPingsAsync(bystander)).Text);
        }
    }

    [Fact]
    public async Task Cors_allows_listed_origins_with_credentials_and_answers_preflights()
    {
        // Engine.IO has no CORS of its own: the platform's policy, attached with RequireCors, applies to the endpoint.
        await using var host = await Raven.Testing.TestHost.StartAsync(
            b => b.Services.AddCors(cors => cors.AddPolicy("app", p => p.WithOrigins("http://allowed.example").AllowCredentials().AllowAnyHeader().WithMethods("GET", "POST"))),
            app =>
            {
                app.UseCors();
                app.MapEngineIO("/engine.io/", new RecordingHandler()).RequireCors("app");
            });
        using var client = new EioClient(host.BaseUrl);

        using (var request = new HttpRequestMessage(HttpMethod.Get, client.PollingUrl()))
        {
            request.Headers.Add("Origin", "http://allowed.example");
            using var response = await client.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("http://allowed.example", Assert.Single(response.Headers.GetValues("Access-Control-Allow-Origin")));
            Assert.Equal("true", Assert.Single(response.Headers.GetValues("Access-Control-Allow-Credentials")));
        }

        using (var request = new HttpRequestMessage(HttpMethod.Get, client.PollingUrl()))
        {
            request.Headers.Add("Origin", "http://evil.example");
            using var response = await client.Http.SendAsync(request);
            Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
        }

        using (var preflight = new HttpRequestMessage(HttpMethod.Options, client.PollingUrl()))
        {
            preflight.Headers.Add("Origin", "http://allowed.example");
            preflight.Headers.Add("Access-Control-Request-Method", "POST");
            preflight.Headers.Add("Access-Control-Request-Headers", "content-type");
            using var response = await client.Http.SendAsync(preflight);
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
            Assert.Equal("http://allowed.example", Assert.Single(response.Headers.GetValues("Access-Control-Allow-Origin")));
            Assert.Contains("POST", Assert.Single(response.Headers.GetValues("Access-Control-Allow-Methods")), StringComparison.Ordinal);
            Assert.Equal("content-type", Assert.Single(response.Headers.GetValues("Access-Control-Allow-Headers")));
        }
    }

    [Fact]
    public async Task Without_cors_options_no_cors_headers_are_sent()
    {
        await using var host = await EngineHost.StartAsync(new RecordingHandler());
        using var client = new EioClient(host.BaseUrl);
        using var request = new HttpRequestMessage(HttpMethod.Get, client.PollingUrl());
        request.Headers.Add("Origin", "http://any.example");
        using var response = await client.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task AllowRequest_rejects_handshakes_with_403_code_4_on_both_transports()
    {
        var handler = new RecordingHandler();
        await using var host = await EngineHost.StartAsync(handler, o => o.AllowRequest = context =>
            ValueTask.FromResult(context.Request.Query["token"] == "good" ? EngineRequestVerdict.Allow : EngineRequestVerdict.Reject("Bad token")));
        using var client = new EioClient(host.BaseUrl);

        using (var response = await client.Http.GetAsync(client.PollingUrl()))
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(4, error.GetProperty("code").GetInt32());
            Assert.Equal("Bad token", error.GetProperty("message").GetString());
        }

        var (status, body) = await client.GetAsync(client.PollingUrl() + "&token=good");
        Assert.Equal(HttpStatusCode.OK, status);
        var sid = JsonDocument.Parse(body.AsMemory(1)).RootElement.GetProperty("sid").GetString()!;
        Assert.Equal("good", handler.Connection(sid).Handshake.Query["token"]);
        Assert.Equal("polling", handler.Connection(sid).Transport);

        using var refused = new ClientWebSocket();
        await Assert.ThrowsAsync<WebSocketException>(() => refused.ConnectAsync(client.WebSocketUri(), CancellationToken.None));
        using var accepted = new ClientWebSocket();
        await accepted.ConnectAsync(new Uri(client.WebSocketUri() + "&token=good"), CancellationToken.None);
        Assert.StartsWith("0", (await Ws.ReceiveAsync(accepted)).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_upgrade_that_never_completes_is_abandoned_and_polling_carries_on()
    {
        await using var host = await EngineHost.StartAsync(new RecordingHandler(), o =>
        {
            // Long enough that a cold, loaded machine still answers the probe inside it (the timer starts when the
            // WebSocket is accepted; 300 ms was seen to expire before the client had sent 2probe).
            o.UpgradeTimeout = TimeSpan.FromSeconds(3);
            o.PingInterval = TimeSpan.FromSeconds(30);
        });
        using var client = new EioClient(host.BaseUrl);
        var (sid, _) = await client.HandshakeAsync();
        using var socket = await client.ConnectWebSocketAsync(sid);
        await Ws.SendTextAsync(socket, "2probe");
        Assert.Equal("3probe", (await Ws.ReceiveAsync(socket)).Text);

        Assert.True(await Ws.WaitForCloseAsync(socket, TimeSpan.FromSeconds(15)));
        await client.SendAsync(sid, "4polling again");
        Assert.Equal((HttpStatusCode.OK, "4polling again"), await client.PollAsync(sid));
    }

    [Fact]
    public async Task Upgrades_can_be_disabled()
    {
        await using var host = await EngineHost.StartAsync(new RecordingHandler(), o => o.AllowUpgrades = false);
        using var client = new EioClient(host.BaseUrl);
        var (sid, open) = await client.HandshakeAsync();
        Assert.Equal(0, open.GetProperty("upgrades").GetArrayLength());
        await Assert.ThrowsAsync<WebSocketException>(() => client.ConnectWebSocketAsync(sid));
    }

    [Fact]
    public async Task A_disabled_transport_is_unknown()
    {
        await using var host = await EngineHost.StartAsync(new RecordingHandler(), o => o.Transports = EngineTransports.WebSocket);
        using var client = new EioClient(host.BaseUrl);
        var (status, body) = await client.GetAsync(client.PollingUrl());
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(0, JsonDocument.Parse(body).RootElement.GetProperty("code").GetInt32());
        var (socket, _, _) = await client.WebSocketHandshakeAsync();
        socket.Dispose();
    }

    [Fact]
    public void Invalid_options_are_rejected_when_mapping()
    {
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder();
        using var app = builder.Build();
        Assert.Throws<ArgumentException>(() => app.MapEngineIO("/engine.io/", new RecordingHandler(), o => o.PingInterval = TimeSpan.Zero));
        Assert.Throws<ArgumentException>(() => app.MapEngineIO("/engine.io/", new RecordingHandler(), o => o.Transports = EngineTransports.None));
    }

    [Fact]
    public async Task AddEngineIO_defaults_apply_and_endpoint_configuration_wins()
    {
        await using var host = await Raven.Testing.TestHost.StartAsync(
            b => b.Services.AddEngineIO(o => { o.PingInterval = TimeSpan.FromSeconds(7); o.MaxHttpBufferSize = 1234; }),
            app => app.MapEngineIO("/engine.io/", new RecordingHandler(), o => o.MaxHttpBufferSize = 4321));
        using var client = new EioClient(host.BaseUrl);
        var (_, open) = await client.HandshakeAsync();
        Assert.Equal(7000, open.GetProperty("pingInterval").GetInt32());
        Assert.Equal(4321, open.GetProperty("maxPayload").GetInt32());
    }

    [Fact]
    public async Task Works_alongside_the_aspnetcore_websocket_middleware()
    {
        var handler = new RecordingHandler();
        await using var host = await Raven.Testing.TestHost.StartAsync(null, app =>
        {
            app.UseWebSockets();
            app.MapEngineIO("/engine.io/", handler);
        });
        using var client = new EioClient(host.BaseUrl);

        var (socket, _, _) = await client.WebSocketHandshakeAsync();
        using (socket)
        {
            await Ws.SendTextAsync(socket, "4via middleware");
            Assert.Equal("4via middleware", (await Ws.ReceiveAsync(socket)).Text);
        }

        var (sid, _) = await client.HandshakeAsync();
        using var upgraded = await client.ConnectWebSocketAsync(sid);
        await Ws.SendTextAsync(upgraded, "2probe");
        Assert.Equal("3probe", (await Ws.ReceiveAsync(upgraded)).Text);
        await Ws.SendTextAsync(upgraded, "5");
        await Ws.SendBinaryAsync(upgraded, [7]);
        Assert.Equal([7], (await Ws.ReceiveAsync(upgraded)).Data);
    }
}
