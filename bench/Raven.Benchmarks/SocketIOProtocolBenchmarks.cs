using System.Buffers;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Options;
using Raven.SocketIO;
using Raven.SocketIO.Protocol;

namespace Raven.Benchmarks;

/// <summary>Parser and encoder cost per packet: text event, binary event, ack.</summary>
[MemoryDiagnoser]
public class SocketIOProtocolBenchmarks
{
    private static readonly ReadOnlySequence<byte> TextEvent = Seq(
        "2/chat,[\"send_message\",{\"conversation_id\":\"c0ffee\",\"text\":\"Hello, everyone! How is it going today?\",\"client_id\":17}]");

    private static readonly ReadOnlySequence<byte> BinaryEvent = Seq(
        "52-[\"upload\",{\"name\":\"a.png\",\"data\":{\"_placeholder\":true,\"num\":0}},{\"_placeholder\":true,\"num\":1}]");

    private static readonly ReadOnlySequence<byte> Ack = Seq("3/chat,42[{\"ok\":true,\"id\":\"m-123\"}]");

    private static readonly byte[] Blob = new byte[1024];

    private readonly Message _message = new("m-123", "c0ffee", "u-7", "Alice", "Hello, everyone! How is it going today?", DateTimeOffset.UnixEpoch);

    private readonly JsonSerializerOptions _json = new SocketIOServer(Options.Create(new SocketIOOptions())).JsonOptions;

    public sealed record Message(string Id, string ConversationId, string SenderId, string SenderName, string Text, DateTimeOffset CreatedAt);

    [Benchmark]
    public object? ParseTextEvent() => SocketPacketParser.TryParse(TextEvent, out var p) ? p : null;

    [Benchmark]
    public object? ParseBinaryEvent() => SocketPacketParser.TryParse(BinaryEvent, out var p) ? p : null;

    [Benchmark]
    public object? ParseAck() => SocketPacketParser.TryParse(Ack, out var p) ? p : null;

    [Benchmark]
    public object EncodeTextEvent() => SocketPacketWriter.EncodeEvent("/chat", "new_message", [_message], -1, _json);

    [Benchmark]
    public object EncodeBinaryEvent() => SocketPacketWriter.EncodeEvent("/", "upload", ["a.png", Blob], -1, _json);

    [Benchmark]
    public object EncodeAck() => SocketPacketWriter.EncodeAck("/chat", 42, [true, "m-123"], _json);

    private static ReadOnlySequence<byte> Seq(string s) => new(Encoding.UTF8.GetBytes(s));
}
