using System.Buffers;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Unicode;
using Raven.EngineIO.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Raven.EngineIO.Tests;

/// <summary>
/// Random and mutated input on many sessions over both transports. Each input's outcome is predicted by a small
/// reference model of the protocol (below) and checked: a session that should live echoes its messages and then a
/// probe, a session that should die is gone (polling: 400 for its sid; WebSocket: closed) with the right close
/// reason. Untouched sessions keep working, the handler contract holds, no task exception goes unobserved.
/// The seed is random per run and printed; set FUZZ_SEED to replay one.
/// </summary>
public sealed class FuzzTests(ITestOutputHelper output)
{
    private const int Limit = 4096;
    private const int Inputs = 80;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static readonly string[] Seeds =
    [
        "4hello", "4test1\u001e4test2\u001e4test3", "bAQIDBA==", "3", "1", "5", "6", "0", "2probe", "4€🚀", "b",
        "4" + new string('x', 200), "bAQIDBA==\u001e4a\u001ebBQYH", "4a\u001e1", "4a\u001e", "\u001e4a", "bQQ=",
    ];

    private enum Fate
    {
        /// <summary>The session lives; these bytes come back (polling: one payload; WebSocket: frames).</summary>
        Alive,
        /// <summary>The client's own close packet ended it.</summary>
        ClientClosed,
        /// <summary>Invalid packet.</summary>
        Invalid,
        /// <summary>Over the payload limit.</summary>
        TooBig,
        /// <summary>A text frame that is not UTF-8: the WebSocket layer refuses it.</summary>
        BadUtf8,
    }

    [Fact]
    public async Task Garbage_on_many_sessions_gets_the_predicted_outcome_per_input()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("FUZZ_SEED"), out var fixedSeed) ? fixedSeed : Random.Shared.Next();
        output.WriteLine($"FUZZ_SEED={seed}");
        var unobserved = new ConcurrentQueue<Exception>();
        EventHandler<UnobservedTaskExceptionEventArgs> onUnobserved = (_, e) =>
        {
            if (e.Exception.ToString().Contains("Raven.EngineIO", StringComparison.Ordinal))
            {
                unobserved.Enqueue(e.Exception);
            }
        };
        TaskScheduler.UnobservedTaskException += onUnobserved;
        try
        {
            var handler = new RecordingHandler();
            await using var host = await EngineHost.StartAsync(handler, o =>
            {
                o.MaxHttpBufferSize = Limit;
                // Neither heartbeats nor the pending lifetime may interfere, however slow the machine.
                o.PingInterval = TimeSpan.FromMinutes(10);
                o.Limits.PendingTimeout = TimeSpan.FromMinutes(10);
            });
            using var client = new EioClient(host.BaseUrl);

            var pollingControls = new List<string>();
            var socketControls = new List<WebSocket>();
            for (var i = 0; i < 3; i++)
            {
                pollingControls.Add((await client.HandshakeAsync()).Sid);
                socketControls.Add((await client.WebSocketHandshakeAsync()).Socket);
            }

            var random = new Random(seed);
            var cases = Enumerable.Range(0, Inputs).Select(i => (Index: i, Input: NextInput(random), Mode: random.Next(3))).ToArray();
            var failures = new ConcurrentQueue<string>();
            await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (c, _) =>
            {
                try
                {
                    if (c.Index % 2 == 0)
                    {
                        await FuzzPollingAsync(client, handler, c.Input, c.Index);
                    }
                    else
                    {
                        await FuzzWebSocketAsync(client, handler, c.Input, c.Mode, c.Index);
                    }
                }
                catch (Exception ex)
                {
                    failures.Enqueue($"input #{c.Index} (mode {c.Mode}, {c.Input.Length} bytes: {Preview(c.Input)}): {ex.Message}");
                }
            });
            Assert.True(failures.IsEmpty, $"FUZZ_SEED={seed}\n" + string.Join('\n', failures));

            // The server still opens sessions, and untouched sessions still echo on both transports.
            var (fresh, _) = await client.HandshakeAsync();
            await client.SendAsync(fresh, "4fresh");
            Assert.Equal((HttpStatusCode.OK, "4fresh"), await client.PollAsync(fresh));
            foreach (var sid in pollingControls)
            {
                Assert.Equal((HttpStatusCode.OK, "ok"), await client.SendAsync(sid, "4control\u001ebAQID"));
                Assert.Equal((HttpStatusCode.OK, "4control\u001ebAQID"), await client.PollAsync(sid));
            }

            foreach (var socket in socketControls)
            {
                await Ws.SendTextAsync(socket, "4control");
                Assert.Equal("4control", (await Ws.ReceiveAsync(socket)).Text);
                socket.Dispose();
            }

            Assert.Empty(handler.Violations);
        }
        finally
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            TaskScheduler.UnobservedTaskException -= onUnobserved;
        }

        Assert.Empty(unobserved);
    }

    private static async Task FuzzPollingAsync(EioClient client, RecordingHandler handler, byte[] input, int index)
    {
        var (sid, _) = await client.HandshakeAsync();
        var (fate, echo) = input.Length > Limit ? (Fate.TooBig, []) : PredictPolling(input);
        HttpStatusCode status;
        try
        {
            (status, _) = await client.PostBytesAsync(client.PollingUrl(sid), input);
        }
        catch (HttpRequestException) when (fate == Fate.TooBig)
        {
            // The server answered 413 and closed before the whole body was sent.
            status = HttpStatusCode.RequestEntityTooLarge;
        }

        var expectedStatus = fate switch
        {
            Fate.TooBig => HttpStatusCode.RequestEntityTooLarge,
            Fate.Invalid => HttpStatusCode.BadRequest,
            _ => HttpStatusCode.OK,
        };
        Assert.Equal(expectedStatus, status);

        var probe = $"4probe-{index}";
        var (probeStatus, _) = await client.SendAsync(sid, probe);
        using var timeout = new CancellationTokenSource(Wait);
        using var response = await client.Http.GetAsync(client.PollingUrl(sid), timeout.Token);
        var body = await response.Content.ReadAsByteArrayAsync(timeout.Token);
        if (fate == Fate.Alive)
        {
            // Everything the input carried comes back at once, then the probe: a GET that waits is a failure.
            Assert.Equal(HttpStatusCode.OK, probeStatus);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var expected = echo.Length == 0 ? Encoding.UTF8.GetBytes(probe) : [.. echo, 0x1e, .. Encoding.UTF8.GetBytes(probe)];
            Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(body));
            return;
        }

        Assert.Equal(HttpStatusCode.BadRequest, probeStatus);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(ReasonOf(fate), await handler.ClosedReason(sid).WaitAsync(Wait));
    }

    private static async Task FuzzWebSocketAsync(EioClient client, RecordingHandler handler, byte[] input, int mode, int index)
    {
        var (socket, sid, _) = await client.WebSocketHandshakeAsync();
        using (socket)
        {
            var binary = mode == 0;
            var (fate, echo, echoBinary) = input.Length > Limit ? (Fate.TooBig, [], false) : PredictWebSocket(input, binary);
            try
            {
                if (mode == 2)
                {
                    // A fragmented text message: the same bytes split across two frames.
                    var half = input.Length / 2;
                    await socket.SendAsync(input.AsMemory(0, half), WebSocketMessageType.Text, false, CancellationToken.None);
                    await socket.SendAsync(input.AsMemory(half), WebSocketMessageType.Text, true, CancellationToken.None);
                }
                else
                {
                    await socket.SendAsync(input, binary ? WebSocketMessageType.Binary : WebSocketMessageType.Text, true, CancellationToken.None);
                }

                if (fate == Fate.Alive)
                {
                    var probe = $"4probe-{index}";
                    await Ws.SendTextAsync(socket, probe);
                    if (echo is not null)
                    {
                        var frame = await Ws.ReceiveAsync(socket, Wait);
                        Assert.Equal(echoBinary ? WebSocketMessageType.Binary : WebSocketMessageType.Text, frame.Type);
                        Assert.Equal(Convert.ToHexString(echo), Convert.ToHexString(frame.Data));
                    }

                    Assert.Equal(probe, (await Ws.ReceiveAsync(socket, Wait)).Text);
                    return;
                }
            }
            catch (WebSocketException) when (fate != Fate.Alive)
            {
                // The server closed the session mid-send: expected for input it refuses.
            }

            Assert.True(await Ws.WaitForCloseAsync(socket, Wait), "the WebSocket stayed open");
            var reason = await handler.ClosedReason(sid).WaitAsync(Wait);
            if (fate is not Fate.BadUtf8)
            {
                Assert.Equal(ReasonOf(fate), reason);
            }
        }
    }

    private static string ReasonOf(Fate fate) => fate switch
    {
        Fate.ClientClosed => EngineCloseReasons.TransportClose,
        Fate.Invalid => EngineCloseReasons.ParseError,
        Fate.TooBig => EngineCloseReasons.TransportError,
        _ => "(alive)",
    };

    // The reference model: what the Engine.IO v4 protocol says should happen to one input.

    private static (Fate Fate, byte[] Echo) PredictPolling(byte[] payload)
    {
        // A payload that is not UTF-8 is refused as a whole, as the WebSocket layer refuses such a text frame.
        if (payload.Length == 0 || !Utf8.IsValid(payload))
        {
            return (Fate.Invalid, []);
        }

        var echo = new List<byte>();
        foreach (var packet in Split(payload))
        {
            var (kind, message, _) = PredictPacket(packet);
            if (kind != Fate.Alive)
            {
                return (kind, []);
            }

            if (message is not null)
            {
                if (echo.Count > 0)
                {
                    echo.Add(0x1e);
                }

                echo.AddRange(message);
            }
        }

        return (Fate.Alive, [.. echo]);
    }

    private static (Fate Fate, byte[]? Echo, bool EchoBinary) PredictWebSocket(byte[] message, bool binary)
    {
        if (binary)
        {
            return (Fate.Alive, message, true);
        }

        if (!Utf8.IsValid(message))
        {
            return (Fate.BadUtf8, null, false);
        }

        // One packet per frame: 0x1e has no meaning on WebSocket.
        return PredictPacket(message, overWebSocket: true);
    }

    /// <summary>One text-encoded packet: its fate and what the echo handler sends back (polling wire form).</summary>
    private static (Fate Fate, byte[]? Echo, bool EchoBinary) PredictPacket(ReadOnlySpan<byte> packet, bool overWebSocket = false)
    {
        if (packet.IsEmpty)
        {
            return (Fate.Invalid, null, false);
        }

        var data = packet[1..];
        switch (packet[0])
        {
            case (byte)'4':
                return (Fate.Alive, [.. packet], false);
            case (byte)'b':
                var decoded = new byte[Base64.GetMaxDecodedFromUtf8Length(data.Length)];
                if (Base64.DecodeFromUtf8(data, decoded, out var consumed, out var written) != OperationStatus.Done || consumed != data.Length)
                {
                    return (Fate.Invalid, null, false);
                }

                var bytes = decoded[..written];
                // Over WebSocket a binary message goes back as a raw binary frame; over polling as b + base64.
                return overWebSocket
                    ? (Fate.Alive, bytes, true)
                    : (Fate.Alive, Encoding.ASCII.GetBytes("b" + Convert.ToBase64String(bytes)), false);
            case (byte)'1':
                return (Fate.ClientClosed, null, false);
            case (byte)'0' or (byte)'3' or (byte)'5' or (byte)'6':
                return (Fate.Alive, null, false);
            default:
                return (Fate.Invalid, null, false);
        }
    }

    private static List<byte[]> Split(byte[] payload)
    {
        var packets = new List<byte[]>();
        var start = 0;
        for (var i = 0; i <= payload.Length; i++)
        {
            if (i == payload.Length || payload[i] == 0x1e)
            {
                packets.Add(payload[start..i]);
                start = i + 1;
            }
        }

        return packets;
    }

    private static byte[] NextInput(Random random)
    {
        switch (random.Next(6))
        {
            case 0:
                {
                    var bytes = new byte[random.Next(0, 300)];
                    random.NextBytes(bytes);
                    return bytes;
                }

            case 1:
                {
                    var seed = Encoding.UTF8.GetBytes(Seeds[random.Next(Seeds.Length)]);
                    return seed[..random.Next(0, seed.Length + 1)];
                }

            case 2:
                return Encoding.ASCII.GetBytes("b" + RandomAscii(random, random.Next(0, 40)));
            case 3:
                {
                    // Past the payload limit.
                    var huge = new byte[Limit + 1 + random.Next(0, 50_000)];
                    huge.AsSpan().Fill((byte)'a');
                    huge[0] = (byte)'4';
                    return huge;
                }

            case 4:
                {
                    var seed = Encoding.UTF8.GetBytes(Seeds[random.Next(Seeds.Length)]);
                    for (var flips = random.Next(1, 4); flips > 0 && seed.Length > 0; flips--)
                    {
                        seed[random.Next(seed.Length)] = (byte)random.Next(256);
                    }

                    return seed;
                }

            default:
                return Encoding.ASCII.GetBytes(string.Join('\u001e', Enumerable.Range(0, random.Next(1, 6)).Select(_ => RandomAscii(random, random.Next(0, 8)))));
        }
    }

    private static string RandomAscii(Random random, int length)
    {
        const string alphabet = "0123456789bAQIDBa=+/!\u001e ";
        return new string(Enumerable.Range(0, length).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
    }

    private static string Preview(byte[] input) => Convert.ToHexString(input.AsSpan(0, Math.Min(input.Length, 48)));
}
