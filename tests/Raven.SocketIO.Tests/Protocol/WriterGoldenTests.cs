using System.Buffers;
using System.Text;
using System.Text.Json;
using Raven.SocketIO.Adapter;
using Raven.SocketIO.Protocol;
using Raven.SocketIO.Tests.Infrastructure;

namespace Raven.SocketIO.Tests.Protocol;

public class WriterGoldenTests
{
    private static readonly JsonSerializerOptions Json = new SocketIOServerAccessor().Options;

    public sealed record Payload(string ConversationId, int Count);

    public sealed record FileUpload(string Name, byte[] Data);

    public static TheoryData<string, Func<EncodedPacket>, string, string[]> Cases => new()
    {
        { "connect main", () => SocketPacketWriter.EncodeConnect("/", "abc"), "0{\"sid\":\"abc\"}", [] },
        { "connect custom", () => SocketPacketWriter.EncodeConnect("/custom", "abc"), "0/custom,{\"sid\":\"abc\"}", [] },
        { "connect error invalid namespace", () => SocketPacketWriter.EncodeConnectError("/random", "Invalid namespace", null, Json), "4/random,{\"message\":\"Invalid namespace\"}", [] },
        {
            "connect error with data",
            () => SocketPacketWriter.EncodeConnectError("/", "AUTHENTICATION_REQUIRED", new { code = "AUTHENTICATION_REQUIRED", message = "Token required" }, Json),
            "4{\"message\":\"AUTHENTICATION_REQUIRED\",\"data\":{\"code\":\"AUTHENTICATION_REQUIRED\",\"message\":\"Token required\"}}", []
        },
        { "disconnect main", () => SocketPacketWriter.EncodeDisconnect("/"), "1", [] },
        { "disconnect custom", () => SocketPacketWriter.EncodeDisconnect("/custom"), "1/custom,", [] },
        { "event", () => SocketPacketWriter.EncodeEvent("/", "message-back", [1, "2", true, null, 1.5], -1, Json), "2[\"message-back\",1,\"2\",true,null,1.5]", [] },
        { "event no args", () => SocketPacketWriter.EncodeEvent("/", "ping", [], -1, Json), "2[\"ping\"]", [] },
        { "event nsp and ack", () => SocketPacketWriter.EncodeEvent("/admin", "project:delete", [123], 456, Json), "2/admin,456[\"project:delete\",123]", [] },
        // Non-BMP characters come out as \u escapes (System.Text.Json always escapes surrogate pairs); any JSON parser reads them back.
        { "event non-ASCII", () => SocketPacketWriter.EncodeEvent("/admin™", "évt", ["é😀<>&"], -1, Json), "2/admin™,[\"évt\",\"é\\uD83D\\uDE00<>&\"]", [] },
        { "event object camelCase", () => SocketPacketWriter.EncodeEvent("/", "joined", [new Payload("c1", 2)], -1, Json), "2[\"joined\",{\"conversationId\":\"c1\",\"count\":2}]", [] },
        { "event raw json verbatim", () => SocketPacketWriter.EncodeEvent("/", "r", [new RawJson("{\"b\":1.0,\"a\":[1e3]}")], -1, Json), "2[\"r\",{\"b\":1.0,\"a\":[1e3]}]", [] },
        { "event json element", () => SocketPacketWriter.EncodeEvent("/", "auth", [JsonDocument.Parse("{\"token\":\"123\"}").RootElement], -1, Json), "2[\"auth\",{\"token\":\"123\"}]", [] },
        {
            "binary event", () => SocketPacketWriter.EncodeEvent("/", "message-back", [new byte[] { 1, 2, 3 }, new ReadOnlyMemory<byte>([4, 5, 6])], -1, Json),
            "52-[\"message-back\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]", ["010203", "040506"]
        },
        {
            "binary event nested in object", () => SocketPacketWriter.EncodeEvent("/up", "file", [new FileUpload("a.bin", [9])], -1, Json),
            "51-/up,[\"file\",{\"name\":\"a.bin\",\"data\":{\"_placeholder\":true,\"num\":0}}]", ["09"]
        },
        { "ack", () => SocketPacketWriter.EncodeAck("/", 456, [1, "2"], Json), "3456[1,\"2\"]", [] },
        { "ack empty custom", () => SocketPacketWriter.EncodeAck("/custom", 0, [], Json), "3/custom,0[]", [] },
        {
            "binary ack", () => SocketPacketWriter.EncodeAck("/", 789, [new byte[] { 1, 2, 3 }, new byte[] { 4, 5, 6 }], Json),
            "62-789[{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]", ["010203", "040506"]
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Encodes(string name, Func<EncodedPacket> encode, string text, string[] attachments)
    {
        var packet = encode();
        Assert.Equal(text, Encoding.UTF8.GetString(packet.Text.Span));
        Assert.Equal(attachments, packet.Attachments.Select(a => Convert.ToHexString(a.Span)).ToArray());
        Assert.Equal(1 + attachments.Length, packet.Messages.Length);
        Assert.False(packet.Messages[0].IsBinary, name);
    }

    [Theory]
    [InlineData("2[\"message\",1,\"2\",{\"3\":[true]}]", "2[\"message\",1,\"2\",{\"3\":[true]}]")]
    [InlineData("2/chat,[\"m\",{\"z\":1,\"a\":2.50,\"u\":\"\\u00e9\"},[ ]]", "2/chat,[\"m\",{\"z\":1,\"a\":2.50,\"u\":\"\\u00e9\"},[ ]]")]
    [InlineData("52-[\"message\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]", "52-[\"message\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]")]
    [InlineData("52-[\"m\",{\"f\":{\"_placeholder\":true,\"num\":1}},{\"num\":0,\"_placeholder\":true}]", "52-[\"m\",{\"f\":{\"_placeholder\":true,\"num\":0}},{\"_placeholder\":true,\"num\":1}]")]
    public void ReEmittingReceivedArgumentsReproducesTheirText(string received, string expected)
    {
        Assert.True(SocketPacketParser.TryParse(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(received)), out var packet));
        for (var i = 0; i < packet.AttachmentCount; i++)
        {
            packet.Attachments[i] = new byte[] { (byte)i };
        }

        var args = new SocketIOArguments(packet, Json).ToArray();
        var again = SocketPacketWriter.EncodeEvent(packet.Namespace, packet.EventName!, args, packet.AckId, Json);
        Assert.Equal(expected, again.ToString());
        if (packet.AttachmentCount == 2 && expected.Contains("\"f\""))
        {
            // Renumbered in document order: the nested placeholder (was num 1) is now first.
            Assert.Equal(["01", "00"], again.Attachments.Select(a => Convert.ToHexString(a.Span)));
        }
    }

    [Fact]
    public void WriteHeaderWritesOntoABufferWriter()
    {
        var output = new ArrayBufferWriter<byte>();
        SocketPacketWriter.WriteHeader(output, SocketPacketType.BinaryAck, 12, "/ü", 42);
        Assert.Equal("612-/ü,42", Encoding.UTF8.GetString(output.WrittenSpan));
    }

    /// <summary>The effective serializer options are those the server builds from SocketIOOptions.</summary>
    private sealed class SocketIOServerAccessor
    {
        public JsonSerializerOptions Options { get; } = new TestIO().Server.JsonOptions;
    }
}
