using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using Raven.EngineIO.Tests.Infrastructure;

namespace Raven.EngineIO.Tests;

/// <summary>
/// Random and mutated input on many sessions over both transports: the server survives, offending sessions may
/// close, well-behaved sessions keep echoing, the handler contract holds, and no task exception goes unobserved.
/// </summary>
public sealed class FuzzTests
{
    private const int Limit = 4096;

    private static readonly string[] Seeds =
    [
        "4hello", "4test1\u001e4test2\u001e4test3", "bAQIDBA==", "3", "1", "5", "6", "0", "2probe", "4€🚀", "b",
        "4" + new string('x', 200), "bAQIDBA==\u001e4a\u001ebBQYH",
    ];

    [Fact]
    public async Task Garbage_on_many_sessions_only_affects_the_offending_sessions()
    {
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
                o.PingInterval = TimeSpan.FromSeconds(30);
            });
            using var client = new EioClient(host.BaseUrl);

            var pollingControls = new List<string>();
            var socketControls = new List<WebSocket>();
            for (var i = 0; i < 3; i++)
            {
                pollingControls.Add((await client.HandshakeAsync()).Sid);
                socketControls.Add((await client.WebSocketHandshakeAsync()).Socket);
            }

            var random = new Random(20261127);
            var inputs = Enumerable.Range(0, 60).Select(_ => NextInput(random)).ToArray();
            await Task.WhenAll(inputs.Select((input, i) => i % 2 == 0 ? FuzzPollingAsync(client, input) : FuzzWebSocketAsync(client, input, random.Next(3))));

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

    private static async Task FuzzPollingAsync(EioClient client, byte[] input)
    {
        var (sid, _) = await client.HandshakeAsync();
        var (status, _) = await client.PostBytesAsync(client.PollingUrl(sid), input);
        Assert.True(status is HttpStatusCode.OK or HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge, $"POST got {status}");

        // Alive or gone, the session answers coherently: 200 with packets, or 400.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try
        {
            var (pollStatus, _) = await client.PollAsync(sid, timeout.Token);
            Assert.True(pollStatus is HttpStatusCode.OK or HttpStatusCode.BadRequest, $"GET got {pollStatus}");
        }
        catch (OperationCanceledException)
        {
            // Nothing to deliver: the session is alive and the long-poll simply waited.
        }
    }

    private static async Task FuzzWebSocketAsync(EioClient client, byte[] input, int mode)
    {
        var (socket, _, _) = await client.WebSocketHandshakeAsync();
        using (socket)
        {
            try
            {
                var type = mode == 0 ? WebSocketMessageType.Binary : WebSocketMessageType.Text;
                await socket.SendAsync(input, type, true, CancellationToken.None);
                if (mode == 2)
                {
                    // A fragmented message: the same bytes split across frames.
                    var half = input.Length / 2;
                    await socket.SendAsync(input.AsMemory(0, half), WebSocketMessageType.Text, false, CancellationToken.None);
                    await socket.SendAsync(input.AsMemory(half), WebSocketMessageType.Text, true, CancellationToken.None);
                }

                await Ws.WaitForCloseAsync(socket, TimeSpan.FromMilliseconds(300));
            }
            catch (WebSocketException)
            {
                // The server closed the session mid-send: the expected outcome for much of the garbage.
            }
        }
    }
}
