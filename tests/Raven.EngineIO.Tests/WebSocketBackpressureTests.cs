using System.Net.WebSockets;
using System.Text;
using Raven.EngineIO.Tests.Infrastructure;

namespace Raven.EngineIO.Tests;

/// <summary>
/// The WebSocket writer under backpressure: the tests fill the connection's socket and output buffers (the client
/// does not read for a while, or never), with several threads queuing at once, and check what the client finally
/// reads (every frame, once, in each sender's order; a graceful close after everything queued) and that a client
/// that never reads is closed by the queue bound without harming anyone else.
/// </summary>
public sealed class WebSocketBackpressureTests
{
    private const int FrameBytes = 16 * 1024;

    [Fact]
    public async Task Concurrent_senders_to_a_client_that_reads_late_lose_nothing_and_keep_their_order()
    {
        const int Senders = 4;
        const int PerSender = 256; // 4 x 256 x 16 KiB = 16 MiB: far beyond the socket and pipe buffers
        var handler = new RecordingHandler
        {
            OnText = (connection, text) =>
            {
                if (text == "go")
                {
                    for (var s = 0; s < Senders; s++)
                    {
                        var sender = s;
                        _ = Task.Run(() =>
                        {
                            // In groups of 8 (128 KiB, twice Kestrel's output buffer), as a packet with attachments
                            // is queued; each sender's frames must arrive in its order.
                            var group = new EngineMessage[8];
                            for (var i = 0; i < PerSender; i += group.Length)
                            {
                                for (var j = 0; j < group.Length; j++)
                                {
                                    group[j] = EngineMessage.Text(Payload(sender, i + j));
                                }

                                connection.TrySend(group);
                            }
                        });
                    }
                }

                return ValueTask.CompletedTask;
            },
        };
        await using var host = await EngineHost.StartAsync(handler, o => o.MaxQueuedMessages = Senders * PerSender);
        using var client = new EioClient(host.BaseUrl);
        var (socket, _, _) = await client.WebSocketHandshakeAsync();
        using (socket)
        {
            await Ws.SendTextAsync(socket, "4go");
            // Not reading for a while: the kernel buffers and the output pipe fill, and the writer has to wait.
            await Task.Delay(500);

            var next = new int[Senders];
            for (var received = 0; received < Senders * PerSender; received++)
            {
                var frame = await Ws.ReceiveSkippingPingsAsync(socket, TimeSpan.FromSeconds(20));
                Assert.Equal(WebSocketMessageType.Text, frame.Type);
                var (sender, index) = Parse(frame.Text);
                Assert.Equal(next[sender], index);
                next[sender]++;
            }

            Assert.All(next, n => Assert.Equal(PerSender, n));
            Assert.Empty(handler.Violations);
        }
    }

    [Fact]
    public async Task A_server_close_while_frames_are_pending_delivers_them_then_the_close_packet()
    {
        const int Count = 400; // 6.4 MiB
        var sent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new RecordingHandler
        {
            OnText = (connection, text) =>
            {
                if (text == "go")
                {
                    _ = Task.Run(() =>
                    {
                        for (var i = 0; i < Count; i++)
                        {
                            Assert.True(connection.TrySend([EngineMessage.Text(Payload(0, i))]));
                        }

                        connection.Close();
                        sent.SetResult();
                    });
                }

                return ValueTask.CompletedTask;
            },
        };
        await using var host = await EngineHost.StartAsync(handler, o => o.MaxQueuedMessages = Count);
        using var client = new EioClient(host.BaseUrl);
        var (socket, sid, _) = await client.WebSocketHandshakeAsync();
        using (socket)
        {
            await Ws.SendTextAsync(socket, "4go");
            await sent.Task.WaitAsync(TimeSpan.FromSeconds(10));

            for (var i = 0; i < Count; i++)
            {
                var frame = await Ws.ReceiveSkippingPingsAsync(socket, TimeSpan.FromSeconds(20));
                Assert.Equal((0, i), Parse(frame.Text));
            }

            Assert.Equal("1", (await Ws.ReceiveSkippingPingsAsync(socket)).Text);
            Assert.True((await Ws.ReceiveAsync(socket)).IsClose);
            Assert.Equal("forced close", await handler.ClosedReason(sid).WaitAsync(TimeSpan.FromSeconds(5)));
        }
    }

    [Fact]
    public async Task A_client_that_never_reads_is_closed_as_a_slow_consumer_and_the_server_keeps_serving()
    {
        var handler = new RecordingHandler
        {
            OnText = (connection, text) =>
            {
                if (text == "flood")
                {
                    _ = Task.Run(() =>
                    {
                        for (var i = 0; i < 10_000 && connection.TrySend([EngineMessage.Text(Payload(0, i))]); i++)
                        {
                        }
                    });
                }
                else
                {
                    connection.TrySend([EngineMessage.Text(Encoding.UTF8.GetBytes(text))]);
                }

                return ValueTask.CompletedTask;
            },
        };
        await using var host = await EngineHost.StartAsync(handler, o => o.MaxQueuedMessages = 64);
        using var client = new EioClient(host.BaseUrl);
        var (stalled, sid, _) = await client.WebSocketHandshakeAsync();
        using (stalled)
        {
            await Ws.SendTextAsync(stalled, "4flood");
            Assert.Equal("transport error", await handler.ClosedReason(sid).WaitAsync(TimeSpan.FromSeconds(20)));
        }

        var (healthy, _, _) = await client.WebSocketHandshakeAsync();
        using (healthy)
        {
            await Ws.SendTextAsync(healthy, "4still here");
            Assert.Equal("4still here", (await Ws.ReceiveSkippingPingsAsync(healthy)).Text);
        }
    }

    [Fact]
    public async Task A_peer_that_never_answers_the_close_frame_is_disconnected_after_the_deadline()
    {
        var handler = new RecordingHandler
        {
            OnText = (connection, text) =>
            {
                if (text == "close")
                {
                    // From outside the read loop, which meanwhile waits for the peer's next frame.
                    _ = Task.Run(async () =>
                    {
                        await Task.Delay(100);
                        connection.Close();
                    });
                }

                return ValueTask.CompletedTask;
            },
        };
        await using var host = await EngineHost.StartAsync(handler);
        var uri = new Uri(host.BaseUrl);
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(uri.Host, uri.Port);
        var stream = tcp.GetStream();
        var request = $"GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {uri.Authority}\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));

        // One masked text frame "4close" (RFC 6455 5.2); the server then closes the session: "1" and a close frame.
        var payload = Encoding.ASCII.GetBytes("4close");
        byte[] mask = [0x11, 0x22, 0x33, 0x44];
        var frame = new List<byte> { 0x81, (byte)(0x80 | payload.Length) };
        frame.AddRange(mask);
        frame.AddRange(payload.Select((b, i) => (byte)(b ^ mask[i % 4])));
        await stream.WriteAsync(frame.ToArray());

        // Never answer the close frame; only read, until the server ends the connection.
        var started = System.Diagnostics.Stopwatch.StartNew();
        var buffer = new byte[4096];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            while (await stream.ReadAsync(buffer, deadline.Token) > 0)
            {
            }
        }
        catch (IOException)
        {
            // A reset is an end too.
        }

        Assert.False(deadline.IsCancellationRequested, "the server kept the connection of a peer that never answered its close frame");
        Assert.True(started.Elapsed >= TimeSpan.FromSeconds(1.5), $"ended after {started.Elapsed}: before the close handshake's grace period");
        var sid = handler.Events.Single(e => e.EndsWith(" connected", StringComparison.Ordinal)).Split(' ')[0];
        Assert.Equal("forced close", await handler.ClosedReason(sid).WaitAsync(TimeSpan.FromSeconds(5)));
    }

    private static byte[] Payload(int sender, int index)
    {
        var text = new StringBuilder(FrameBytes).Append(sender).Append(':').Append(index).Append(':');
        text.Append('x', FrameBytes - text.Length);
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static (int Sender, int Index) Parse(string frame)
    {
        // "4" + "sender:index:xxxx…"
        Assert.StartsWith("4", frame, StringComparison.Ordinal);
        var parts = frame[1..].Split(':', 3);
        Assert.Equal(FrameBytes - parts[0].Length - parts[1].Length - 2, parts[2].Length);
        return (int.Parse(parts[0]), int.Parse(parts[1]));
    }
}
