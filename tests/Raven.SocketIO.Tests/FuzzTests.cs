using System.Text;
using Raven.SocketIO.Tests.Infrastructure;

namespace Raven.SocketIO.Tests;

/// <summary>
/// Random and mutated packets against the Socket.IO layer: nothing escapes the handler, a broken session is closed
/// on its own, other sessions keep working, and no task exception goes unobserved.
/// </summary>
public class FuzzTests
{
    private static readonly string[] Seeds =
    [
        "0", "0{\"token\":\"1\"}", "0/custom,", "1", "1/custom,", "2[\"message\",1,\"2\",{\"3\":[true]}]",
        "2456[\"message-with-ack\",1]", "3456[1]", "4{\"message\":\"x\"}",
        "52-[\"message\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]",
        "61-1[{\"_placeholder\":true,\"num\":0}]", "2/custom,1[\"x\",{\"a\":[1,2,{\"b\":null}]}]",
    ];

    [Fact]
    public async Task RandomAndMutatedPacketsNeverEscapeTheHandler()
    {
        var unobserved = 0;
        EventHandler<UnobservedTaskExceptionEventArgs> onUnobserved = (_, e) => Interlocked.Increment(ref unobserved);
        TaskScheduler.UnobservedTaskException += onUnobserved;
        try
        {
            var io = new TestIO(o => o.ConnectTimeout = TimeSpan.FromSeconds(30));
            io.Server.Of("/custom");
            io.Server.OnConnection(s =>
            {
                s.On("message", e => { s.Emit("message-back", e.ToArray()); });
                s.On("message-with-ack", e => { e.Ack(e.ToArray()); });
                s.On<Dictionary<string, int>>("x", (_, _, ack) => { ack?.Send(1); });
            });

            var (witness, _) = await io.ConnectAsync();
            var random = new Random(12345);
            var closed = 0;
            for (var round = 0; round < 300; round++)
            {
                var connection = await io.OpenAsync();
                var packets = random.Next(1, 4);
                for (var i = 0; i < packets && connection.IsConnected; i++)
                {
                    if (random.Next(12) == 0)
                    {
                        var bytes = new byte[random.Next(0, 8)];
                        random.NextBytes(bytes);
                        await connection.SendBinaryAsync(bytes);
                        continue;
                    }

                    await connection.SendAsync(Segments.Create(Mutate(random)));
                }

                if (!connection.IsConnected)
                {
                    closed++;
                }

                await connection.CloseAsync("transport close");
            }

            Assert.InRange(closed, 1, 299);

            // The witness session was never disturbed.
            await witness.SendAsync("2[\"message\",\"still alive\"]");
            Assert.Equal("2[\"message-back\",\"still alive\"]", await witness.ReceiveAsync());

            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            Assert.Equal(0, unobserved);
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= onUnobserved;
        }
    }

    private const string Alphabet = "[]{}\",:0123456789-/_\\ux\u00ff";

    private static byte[] Mutate(Random random)
    {
        var bytes = Encoding.UTF8.GetBytes(Seeds[random.Next(Seeds.Length)]).ToList();
        var mutations = random.Next(0, 4);
        for (var m = 0; m < mutations && bytes.Count > 0; m++)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(4))
            {
                case 0:
                    bytes.RemoveAt(at);
                    break;
                case 1:
                    bytes.Insert(at, (byte)Alphabet[random.Next(Alphabet.Length)]);
                    break;
                case 2:
                    bytes[at] = (byte)random.Next(256);
                    break;
                default:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
            }
        }

        return bytes.ToArray();
    }
}
