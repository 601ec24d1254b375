using System.Buffers;
using System.Text;
using System.Text.Json;
using Raven.EngineIO.Internal;

namespace Raven.EngineIO.Tests;

/// <summary>Golden tests of the pure protocol helpers.</summary>
public sealed class ProtocolTests
{
    [Theory]
    [InlineData("4a", new[] { "4a" })]
    [InlineData("4a\u001e4b\u001e3", new[] { "4a", "4b", "3" })]
    [InlineData("4a\u001e", new[] { "4a", "" })]
    [InlineData("\u001e", new[] { "", "" })]
    [InlineData("4€\u001ebAQ==", new[] { "4€", "bAQ==" })]
    public void Payloads_split_on_the_record_separator(string payload, string[] expected)
    {
        // Every split point of a multi-segment sequence must give the same packets.
        var bytes = Encoding.UTF8.GetBytes(payload);
        for (var cut = 0; cut <= bytes.Length; cut++)
        {
            var remaining = TwoSegments(bytes, cut);
            var packets = new List<string>();
            var last = false;
            while (!last)
            {
                packets.Add(Encoding.UTF8.GetString(EngineProtocol.TakePacket(ref remaining, out last)));
            }

            Assert.Equal(expected, packets);
        }
    }

    [Theory]
    [InlineData("AQIDBA==", new byte[] { 1, 2, 3, 4 })]
    [InlineData("", new byte[0])]
    [InlineData("/w==", new byte[] { 255 })]
    public void Base64_decodes_across_segments(string base64, byte[] expected)
    {
        var bytes = Encoding.ASCII.GetBytes(base64);
        for (var cut = 0; cut <= bytes.Length; cut++)
        {
            Assert.True(EngineProtocol.TryDecodeBase64(TwoSegments(bytes, cut), out var rented, out var length));
            Assert.Equal(expected, rented.AsSpan(0, length).ToArray());
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    [Theory]
    [InlineData("AQID!A==")]
    [InlineData("AQI")]
    [InlineData("€")]
    public void Invalid_base64_is_refused(string base64)
        => Assert.False(EngineProtocol.TryDecodeBase64(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(base64)), out _, out _));

    [Fact]
    public void The_open_packet_is_0_plus_five_keys()
    {
        var output = new ArrayBufferWriter<byte>();
        var options = new EngineIOOptions { PingInterval = TimeSpan.FromMilliseconds(300), PingTimeout = TimeSpan.FromMilliseconds(200) };
        EngineProtocol.WriteOpen(output, "abc", offerWebSocketUpgrade: true, options);
        Assert.Equal(
            """0{"sid":"abc","upgrades":["websocket"],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}""",
            Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Errors_have_the_node_shape()
    {
        var output = new ArrayBufferWriter<byte>();
        EngineError.Write(output, EngineError.UnknownSid, EngineError.MessageOf(EngineError.UnknownSid));
        Assert.Equal("""{"code":1,"message":"Session ID unknown"}""", Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Engine_messages_encode_once_per_wire_form()
    {
        var text = EngineMessage.Text("héllo");
        Assert.Equal("4héllo", Encoding.UTF8.GetString(text.GetPrefixedText().Span));
        Assert.True(text.GetPrefixedText().Equals(text.GetPrefixedText()));
        var binary = EngineMessage.Binary(new byte[] { 1, 2, 3, 4 });
        Assert.Equal("bAQIDBA==", Encoding.ASCII.GetString(binary.GetBase64ForPolling().Span));
    }

    private static ReadOnlySequence<byte> TwoSegments(byte[] bytes, int cut)
    {
        var first = new Segment(bytes.AsMemory(0, cut));
        var second = first.Append(bytes.AsMemory(cut));
        return new ReadOnlySequence<byte>(first, 0, second, second.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
