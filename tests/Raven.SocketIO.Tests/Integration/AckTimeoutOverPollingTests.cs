using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Raven.Testing;

namespace Raven.SocketIO.Tests.Integration;

/// <summary>
/// A server-side <c>EmitWithAckAsync</c> timing out over raw HTTP long-polling, and the client's ack arriving after
/// the timeout: it is dropped (no second completion, no error), and the session keeps working.
/// </summary>
public sealed class AckTimeoutOverPollingTests
{
    [Fact]
    public async Task Ack_timeout_over_polling_then_a_late_ack_is_ignored_and_the_session_stays_usable()
    {
        var outcomes = new AsyncCollector<string>();
        await using var host = await TestHost.StartAsync(
            builder => builder.Services.AddSocketIO(),
            app =>
            {
                var io = app.Services.GetRequiredService<SocketIOServer>();
                io.OnConnection(socket => socket.On("ask", async e =>
                {
                    var wait = TimeSpan.FromMilliseconds(e.Get<int>(0));
                    try
                    {
                        var reply = await socket.EmitWithAckAsync("question", [], wait);
                        outcomes.Add("answered:" + reply.Get<string>(0));
                    }
                    catch (AckTimeoutException)
                    {
                        outcomes.Add("timeout");
                    }
                }));
                app.MapSocketIO();
            });
        using var http = new HttpClient { BaseAddress = new Uri(host.BaseUrl), Timeout = TimeSpan.FromSeconds(60) };
        var open = await http.GetStringAsync("/socket.io/?EIO=4&transport=polling");
        var sid = JsonDocument.Parse(open[1..]).RootElement.GetProperty("sid").GetString();
        var url = $"/socket.io/?EIO=4&transport=polling&sid={sid}";
        await PostAsync(http, url, "40");
        Assert.StartsWith("40{\"sid\":", await http.GetStringAsync(url));

        // The client never answers in time: the server's ack times out.
        await PostAsync(http, url, "42[\"ask\",300]");
        Assert.Equal("420[\"question\"]", await http.GetStringAsync(url));
        Assert.Equal("timeout", await outcomes.WaitAsync());

        // The late ack (id 0) is accepted by the transport and ignored by the socket.
        await PostAsync(http, url, "430[\"too late\"]");

        // The session still works, and a prompt ack (id 1) completes its own request only.
        await PostAsync(http, url, "42[\"ask\",30000]");
        Assert.Equal("421[\"question\"]", await http.GetStringAsync(url));
        await PostAsync(http, url, "431[\"in time\"]");
        Assert.Equal("answered:in time", await outcomes.WaitAsync());
        Assert.Equal(["timeout", "answered:in time"], outcomes.Items);
    }

    private static async Task PostAsync(HttpClient http, string url, string payload)
    {
        using var response = await http.PostAsync(url, new StringContent(payload));
        Assert.Equal("ok", await response.Content.ReadAsStringAsync());
    }
}
