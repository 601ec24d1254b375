using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Text;

namespace Raven.Server.Tests.Hostile;

/// <summary>
/// The attack flows of <see cref="HostileClientTests"/>: each opens its own session(s) over raw polling or a raw
/// WebSocket, misbehaves in one way, and records what the server did. Behaviour that must hold for every input
/// (a 5xx other than 503, an oversized, lying or malformed session left open on either transport) goes to <see cref="Violations"/>.
/// </summary>
internal sealed class HostileAttacks(string baseUrl, HttpClient http, string token, string foreignConversation, string ownConversation)
{
    public const int PollingKinds = 10;
    public const int WebSocketKinds = 10;

    public ConcurrentQueue<string> Violations { get; } = new();

    public ConcurrentDictionary<string, int> Outcomes { get; } = new();

    private RawPolling Polling => new(http, baseUrl);

    public HostileInputs Inputs(Random random) => new(random, token, foreignConversation, ownConversation);

    public async Task PollingAsync(int kind, HostileInputs inputs)
    {
        var polling = Polling;
        var (sid, status) = await polling.HandshakeAsync();
        if (sid is null)
        {
            Count($"polling handshake {(int)status}");
            CheckStatus("polling handshake", status);
            return;
        }

        var name = $"polling#{kind}";
        // Input that is malformed whatever the seed: the session must be closed, as the same input closes a WebSocket.
        var mustClose = false;
        switch (kind)
        {
            case 0:
                await PostAsync(polling, sid, name, inputs.RandomBytes(3000));
                break;
            case 1:
                await PostAsync(polling, sid, name, Encoding.UTF8.GetBytes(inputs.MutatedPayload()));
                break;
            case 2:
                await ConnectPollingAsync(polling, sid, inputs);
                for (var i = inputs.Random.Next(1, 6); i > 0; i--)
                {
                    await PostAsync(polling, sid, name, Encoding.UTF8.GetBytes(inputs.MutatedPayload()));
                }

                break;
            case 3:
                await ConnectPollingAsync(polling, sid, inputs);
                string[] invalid = ["b", "b!!!!", "bAQ", "bAQIDBA", "b====", "b" + inputs.RandomText(40), "bAQIDBA==\u001eb%%%"];
                mustClose = await PostClosingAsync(polling, sid, name, Encoding.UTF8.GetBytes(invalid[inputs.Random.Next(invalid.Length)]));
                break;
            case 4:
                try
                {
                    // Kestrel may answer 413 and close before the client has written the whole body (a reset here).
                    var huge = await polling.PostAsync(sid, Encoding.UTF8.GetBytes(HostileInputs.Oversized(1_200_000)));
                    Count($"{name} {(int)huge}");
                    if (huge != HttpStatusCode.RequestEntityTooLarge)
                    {
                        Violations.Enqueue($"a 1.2 MB polling body got {(int)huge}, not 413");
                    }
                }
                catch (HttpRequestException)
                {
                    Count($"{name} reset");
                }

                break;
            case 5:
                try
                {
                    var streamed = await polling.PostStreamingAsync(sid, 2_000_000);
                    Count($"{name} {(int)streamed}");
                    if (streamed == HttpStatusCode.OK)
                    {
                        Violations.Enqueue("a 2 MB chunked polling body without Content-Length was accepted");
                    }
                }
                catch (HttpRequestException)
                {
                    Count($"{name} reset");
                }

                break;
            case 6:
                await ConnectPollingAsync(polling, sid, inputs);
                mustClose = await PostClosingAsync(polling, sid, name, Encoding.UTF8.GetBytes(HostileInputs.LyingAttachmentCount));
                break;
            case 7:
                mustClose = await PostClosingAsync(polling, sid, name, inputs.InvalidUtf8());
                break;
            case 8:
                await ConnectPollingAsync(polling, sid, inputs);
                mustClose = await PostClosingAsync(polling, sid, name, Encoding.UTF8.GetBytes(HostileInputs.DeepEvent(10_000, inputs.Random.Next(2) == 0)));
                break;
            default:
                var both = await Task.WhenAll(polling.PollAsync(sid, TimeSpan.FromSeconds(2)), polling.PollAsync(sid, TimeSpan.FromSeconds(2)));
                foreach (var poll in both)
                {
                    if (poll is { } answered)
                    {
                        CheckStatus($"{name} GET", answered.Status);
                    }
                }

                break;
        }

        // A closed session answers at once (400) and an open one holds the GET for the whole ping interval (25 s), so
        // a long wait tells them apart without depending on how busy the machine is (1 s was seen to run out under load).
        var last = await polling.PollAsync(sid, mustClose ? TimeSpan.FromSeconds(10) : TimeSpan.FromSeconds(1));
        if (last is { } lastPoll)
        {
            CheckStatus($"{name} GET", lastPoll.Status);
        }

        if (mustClose && last?.Status != HttpStatusCode.BadRequest)
        {
            Violations.Enqueue($"{name} left its polling session open (GET afterwards: {last?.Status.ToString() ?? "no answer"})");
        }
    }

    public async Task WebSocketAsync(int kind, HostileInputs inputs)
    {
        await using var ws = await RawWebSocket.OpenAsync(baseUrl);
        var name = $"websocket#{kind}";
        var mustClose = false;
        switch (kind)
        {
            case 0:
                for (var i = inputs.Random.Next(1, 6); i > 0; i--)
                {
                    var binary = inputs.Random.Next(2) == 0;
                    await ws.TrySendAsync(binary ? inputs.RandomBytes(2000) : Encoding.UTF8.GetBytes(inputs.RandomText(2000)), binary ? WebSocketMessageType.Binary : WebSocketMessageType.Text);
                }

                break;
            case 1:
                await ConnectWebSocketAsync(ws, inputs);
                for (var i = inputs.Random.Next(1, 11); i > 0; i--)
                {
                    await ws.TrySendAsync(inputs.Mutated());
                }

                break;
            case 2:
                await ConnectWebSocketAsync(ws, inputs);
                await ws.TrySendAsync(HostileInputs.LyingAttachmentCount);
                mustClose = true;
                break;
            case 3:
                // Binary packets before CONNECT are refused outright.
                await ws.TrySendAsync("451-[\"send_message\",{\"_placeholder\":true,\"num\":0}]");
                await ws.TrySendAsync(inputs.RandomBytes(1000), WebSocketMessageType.Binary);
                mustClose = true;
                break;
            case 4:
                await ConnectWebSocketAsync(ws, inputs);
                await ws.TrySendAsync(inputs.InvalidUtf8());
                mustClose = true;
                break;
            case 5:
                await ConnectWebSocketAsync(ws, inputs);
                await ws.TrySendAsync(HostileInputs.DeepEvent(10_000, inputs.Random.Next(2) == 0));
                mustClose = true;
                break;
            case 6:
                await ConnectWebSocketAsync(ws, inputs);
                await ws.TrySendAsync(Encoding.UTF8.GetBytes(HostileInputs.Oversized(1_200_000)));
                mustClose = true;
                break;
            case 7:
                // One message in 64 KiB fragments, 1.3 MB in all: the limit counts the whole message.
                await ConnectWebSocketAsync(ws, inputs);
                var fragment = Encoding.ASCII.GetBytes("4" + new string('x', (64 * 1024) - 1));
                for (var i = 0; i < 20 && await ws.TrySendAsync(fragment, WebSocketMessageType.Text, endOfMessage: false); i++)
                {
                }

                mustClose = true;
                break;
            case 8:
                await ConnectWebSocketAsync(ws, inputs);
                await ws.TrySendAsync($"451-[\"send_message\",{{\"_placeholder\":true,\"num\":{inputs.Random.Next(1, 1000)}}}]");
                await ws.TrySendAsync(inputs.RandomBytes(1000), WebSocketMessageType.Binary);
                break;
            default:
                await ConnectWebSocketAsync(ws, inputs);
                for (var i = inputs.Random.Next(1, 6); i > 0; i--)
                {
                    await ws.TrySendAsync(inputs.RandomBytes(5000), WebSocketMessageType.Binary);
                }

                break;
        }

        var closed = await ws.ClosedByServerWithinAsync(TimeSpan.FromSeconds(mustClose ? 15 : 1));
        Count($"{name} {(closed ? "closed" : "open")}");
        if (mustClose && !closed)
        {
            Violations.Enqueue($"{name} was not closed by the server within 15 s");
        }
    }

    /// <summary>Runs one flow; the client side failing because the server cut it off counts as an outcome.</summary>
    public async Task RunAsync(string name, Func<Task> flow)
    {
        try
        {
            await flow().WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (Exception e) when (e is HttpRequestException or WebSocketException or IOException or System.Net.Sockets.SocketException)
        {
            Count($"{name} cut off ({e.GetType().Name})");
        }
    }

    private async Task ConnectPollingAsync(RawPolling polling, string sid, HostileInputs inputs)
    {
        await PostAsync(polling, sid, "polling CONNECT", Encoding.UTF8.GetBytes(inputs.Connect));
        await polling.PollAsync(sid, TimeSpan.FromSeconds(5));
    }

    private static async Task ConnectWebSocketAsync(RawWebSocket ws, HostileInputs inputs)
    {
        await ws.TrySendAsync(inputs.Connect);
        await ws.ReceiveStartingWithAsync("40", TimeSpan.FromSeconds(10));
    }

    /// <summary>Posts <paramref name="body"/>; false when the request got no answer (a reset connection).</summary>
    private async Task<bool> PostAsync(RawPolling polling, string sid, string name, byte[] body, bool mustFail = false)
    {
        try
        {
            var status = await polling.PostAsync(sid, body);
            Count($"{name} POST {(int)status}");
            CheckStatus(name, status);
            if (mustFail && status != HttpStatusCode.BadRequest)
            {
                Violations.Enqueue($"{name}: a malformed polling body got {(int)status}, not 400");
            }

            return true;
        }
        catch (HttpRequestException)
        {
            Count($"{name} POST reset");
            return false;
        }
    }

    /// <summary>
    /// Posts a body that must close the session and says whether the server can be held to that: a POST without an
    /// answer may never have reached it (the shared client can pick a pooled connection that an earlier attack's 413
    /// just closed), so it is sent once more; only when neither got an answer is the session's state unknown.
    /// </summary>
    private async Task<bool> PostClosingAsync(RawPolling polling, string sid, string name, byte[] body)
        => await PostAsync(polling, sid, name, body, mustFail: true) || await PostAsync(polling, sid, name, body, mustFail: true);

    private void CheckStatus(string name, HttpStatusCode status)
    {
        if ((int)status >= 500 && status != HttpStatusCode.ServiceUnavailable)
        {
            Violations.Enqueue($"{name} was answered {(int)status}");
        }
    }

    private void Count(string outcome) => Outcomes.AddOrUpdate(outcome, 1, static (_, n) => n + 1);
}
