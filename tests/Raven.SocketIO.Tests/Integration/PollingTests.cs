using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Raven.Testing;

namespace Raven.SocketIO.Tests.Integration;

/// <summary>
/// Socket.IO over raw HTTP long-polling through Kestrel, on an app with the conformance handlers but default
/// heartbeat settings, so a busy test machine cannot turn a slow GET into a ping timeout.
/// </summary>
public sealed partial class PollingTests
{
    private const string P0 = "{\"_placeholder\":true,\"num\":0}";
    private const string P1 = "{\"_placeholder\":true,\"num\":1}";

    [GeneratedRegex("^40\\{\"sid\":\"[^\"]+\"\\}$")]
    private static partial Regex MainConnect();

    [Fact]
    public async Task SocketIOOverPollingQueuesRepliesBeforeThePostIsAnswered()
    {
        await using var host = await TestHost.StartAsync(
            builder => builder.Services.AddSocketIO(),
            app =>
            {
                var io = app.Services.GetRequiredService<SocketIOServer>();
                io.OnConnection(socket =>
                {
                    socket.Emit("auth", socket.Handshake.Auth);
                    socket.On("message", e => { socket.Emit("message-back", e.ToArray()); });
                    socket.On("message-with-ack", e => { e.Ack(e.ToArray()); });
                });
                app.MapSocketIO();
            });
        using var http = new HttpClient { BaseAddress = new Uri(host.BaseUrl) };
        var open = await http.GetStringAsync("/socket.io/?EIO=4&transport=polling");
        var sid = System.Text.Json.JsonDocument.Parse(open[1..]).RootElement.GetProperty("sid").GetString();
        var url = $"/socket.io/?EIO=4&transport=polling&sid={sid}";

        var post = await http.PostAsync(url, new StringContent("40{\"token\":\"p\"}\u001e42[\"message\",\"é\",{\"b\":1.0}]"));
        Assert.Equal("ok", await post.Content.ReadAsStringAsync());
        var body = await http.GetStringAsync(url);
        var packets = body.Split('\u001e');
        Assert.Equal(3, packets.Length);
        Assert.Matches(MainConnect(), packets[0]);
        Assert.Equal("42[\"auth\",{\"token\":\"p\"}]", packets[1]);
        Assert.Equal("42[\"message-back\",\"é\",{\"b\":1.0}]", packets[2]);

        // A binary ack over polling: attachments travel as b+base64 packets.
        post = await http.PostAsync(url, new StringContent($"452-7[\"message-with-ack\",{P0},{P1}]\u001ebAQID\u001ebBAUG"));
        Assert.Equal("ok", await post.Content.ReadAsStringAsync());
        body = await http.GetStringAsync(url);
        Assert.Equal($"462-7[{P0},{P1}]\u001ebAQID\u001ebBAUG", body);
    }
}
