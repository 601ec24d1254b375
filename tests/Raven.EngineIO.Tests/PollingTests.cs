using System.Diagnostics;
using System.Net;
using Raven.EngineIO.Tests.Infrastructure;

namespace Raven.EngineIO.Tests;

/// <summary>conformance-app.md sections 3.2 and 4 (echo) over HTTP long-polling.</summary>
[Trait("Timing", "ConformanceHeartbeat")]
public sealed class PollingTests(ConformanceFixture server) : IClassFixture<ConformanceFixture>
{
    internal static void RelaxedHeartbeat(EngineIOOptions options)
    {
        options.PingInterval = TimeSpan.FromMilliseconds(300);
        options.PingTimeout = TimeSpan.FromMilliseconds(1500);
    }

    [Fact]
    public async Task Post_answers_ok_and_the_next_get_carries_every_echo_in_order()
    {
        using var client = new EioClient(server.BaseUrl);
        var (sid, _) = await client.HandshakeAsync();

        Assert.Equal((HttpStatusCode.OK, "ok"), await client.SendAsync(sid, "4test1\u001e4test2\u001e4test3"));
        Assert.Equal((HttpStatusCode.OK, "4test1\u001e4test2\u001e4test3"), await client.PollAsync(sid));
    }

    [Fact]
    public async Task Text_is_echoed_unchanged_including_non_ascii()
    {
        using var client = new EioClient(server.BaseUrl);
        var (sid, _) = await client.HandshakeAsync();

        await client.SendAsync(sid, "4hello");
        Assert.Equal((HttpStatusCode.OK, "4hello"), await client.PollAsync(sid));
        await client.SendAsync(sid, "4€ ünïcødé 🚀\u001e4");
        Assert.Equal((HttpStatusCode.OK, "4€ ünïcødé 🚀\u001e4"), await client.PollAsync(sid));
    }

    [Fact]
    public async Task Binary_is_echoed_as_b_base64()
    {
        using var client = new EioClient(server.BaseUrl);
        var (sid, _) = await client.HandshakeAsync();

        await client.SendAsync(sid, "bAQIDBA==");
        var (status, body) = await client.PollAsync(sid);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("bAQIDBA==", body);
    }

    [Fact]
    public async Task A_waiting_get_is_answered_when_a_message_arrives()
    {
        // A long ping interval so no heartbeat packet can answer the waiting GET first on a busy machine.
        await using var host = await EngineHost.StartAsync(new RecordingHandler(), o => o.PingInterval = TimeSpan.FromSeconds(10));
        using var client = new EioClient(host.BaseUrl);
        var (sid, _) = await client.HandshakeAsync();

        var poll = client.PollAsync(sid);
        await Task.Delay(50);
        Assert.False(poll.IsCompleted);
        await client.SendAsync(sid, "4late");
        Assert.Equal((HttpStatusCode.OK, "4late"), await poll);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("9")]
    [InlineData("4ok\u001e")] // a trailing separator leaves an empty packet
    [InlineData("bnot base64!")]
    [InlineData("2")] // v4 clients never ping
    public async Task A_malformed_post_destroys_the_session(string body)
    {
        using var client = new EioClient(server.BaseUrl);
        var (sid, _) = await client.HandshakeAsync();

        var (status, _) = await client.SendAsync(sid, body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PollAsync(sid)).Status);
    }

    [Fact]
    public async Task Two_pending_gets_close_the_session_with_a_close_packet_and_a_400()
    {
        using var client = new EioClient(server.BaseUrl);
        var (sid, _) = await client.HandshakeAsync();

        var first = client.PollAsync(sid);
        await Task.Delay(5);
        var second = await client.PollAsync(sid);

        Assert.Equal(HttpStatusCode.BadRequest, second.Status);
        Assert.Equal((HttpStatusCode.OK, "1"), await first);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PollAsync(sid)).Status);
    }

    [Fact]
    public async Task An_aborted_get_destroys_the_session()
    {
        using var client = new EioClient(server.BaseUrl);
        var (sid, _) = await client.HandshakeAsync();

        using (var cts = new CancellationTokenSource())
        {
            var poll = client.PollAsync(sid, cts.Token);
            await Task.Delay(50);
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => poll);
        }

        Assert.Equal(HttpStatusCode.BadRequest, (await client.PollAsync(sid)).Status);
    }

    [Fact]
    public async Task A_close_packet_answers_the_pending_get_with_a_noop_and_ends_the_session()
    {
        using var client = new EioClient(server.BaseUrl);
        var (sid, _) = await client.HandshakeAsync();

        var poll = client.PollAsync(sid);
        await Task.Delay(20);
        Assert.Equal((HttpStatusCode.OK, "ok"), await client.SendAsync(sid, "1"));
        Assert.Equal((HttpStatusCode.OK, "6"), await poll);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PollAsync(sid)).Status);
    }

    [Fact]
    public async Task A_session_that_answers_its_pings_stays_open_and_the_ping_travels_alone()
    {
        // The conformance interval, with a pong deadline that a busy CI machine can meet (the strict 200 ms
        // deadline is covered by the timeout test below).
        await using var host = await EngineHost.StartAsync(new RecordingHandler(), RelaxedHeartbeat);
        using var client = new EioClient(host.BaseUrl);
        var stopwatch = Stopwatch.StartNew();
        var (sid, _) = await client.HandshakeAsync();

        for (var round = 0; round < 3; round++)
        {
            Assert.Equal((HttpStatusCode.OK, "2"), await client.PollAsync(sid));
            Assert.Equal((HttpStatusCode.OK, "ok"), await client.SendAsync(sid, "3"));
        }

        // Three rounds at a 300 ms interval: not before ~900 ms, and well within the checker's 5 s.
        Assert.InRange(stopwatch.ElapsedMilliseconds, 850, 5000);
        await client.SendAsync(sid, "4still here");
        Assert.Equal((HttpStatusCode.OK, "4still here"), await client.PollAsync(sid));
    }

    [Fact]
    public async Task A_missed_pong_makes_the_session_unknown_by_handshake_plus_500ms()
    {
        using var client = new EioClient(server.BaseUrl);
        var (sid, _) = await client.HandshakeAsync();

        await Task.Delay(500);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PollAsync(sid)).Status);
    }

    [Fact]
    public async Task The_first_ping_comes_about_one_interval_after_the_handshake()
    {
        using var client = new EioClient(server.BaseUrl);
        // Timed from before the handshake request: the server's clock starts while handling it.
        var stopwatch = Stopwatch.StartNew();
        var (sid, _) = await client.HandshakeAsync();

        Assert.Equal((HttpStatusCode.OK, "2"), await client.PollAsync(sid));
        Assert.InRange(stopwatch.ElapsedMilliseconds, 290, 1600);
    }

    [Fact]
    public async Task Responses_are_plain_text()
    {
        using var client = new EioClient(server.BaseUrl);
        // CORS is ASP.NET Core's (RequireCors on the endpoint): it answers requests that carry an Origin, as browsers' do.
        using var request = new HttpRequestMessage(HttpMethod.Get, client.PollingUrl());
        request.Headers.Add("Origin", "http://page.example");
        using var response = await client.Http.SendAsync(request);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("*", Assert.Single(response.Headers.GetValues("Access-Control-Allow-Origin")));
    }
}
