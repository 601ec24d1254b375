using System.Buffers;
using System.Text;
using Raven.SocketIO.Protocol;
using Raven.SocketIO.Tests.Infrastructure;

namespace Raven.SocketIO.Tests.Protocol;

public class ParserGoldenTests
{
    /// <summary>name, wire text, expected decoding summary (type|nsp|ackId|attachments|event|args joined by ' ~ ').</summary>
    public static TheoryData<string, string, string> Cases => new()
    {
        { "connect main", "0", "Connect|/|-1|0||" },
        { "connect main with auth", "0{\"token\":\"123\"}", "Connect|/|-1|0||" },
        { "connect custom without comma", "0/custom", "Connect|/custom|-1|0||" },
        { "connect custom with comma", "0/custom,", "Connect|/custom|-1|0||" },
        { "connect custom with auth", "0/custom,{\"token\":\"abc\"}", "Connect|/custom|-1|0||" },
        { "connect non-ASCII namespace", "0/admin™,{}", "Connect|/admin™|-1|0||" },
        { "disconnect main", "1", "Disconnect|/|-1|0||" },
        { "disconnect custom", "1/custom,", "Disconnect|/custom|-1|0||" },
        { "event", "2[\"message\",1,\"2\",{\"3\":[true]}]", "Event|/|-1|0|message|1 ~ \"2\" ~ {\"3\":[true]}" },
        { "event without args", "2[\"ping\"]", "Event|/|-1|0|ping|" },
        { "event with ack", "2456[\"message-with-ack\",1]", "Event|/|456|0|message-with-ack|1" },
        { "event nsp and ack", "2/admin,456[\"project:delete\",123]", "Event|/admin|456|0|project:delete|123" },
        { "event non-ASCII namespace and text", "2/admin™,1[\"évt\",{\"a\":\"é😀\"}]", "Event|/admin™|1|0|évt|{\"a\":\"é😀\"}" },
        { "event keeps number formatting", "2[\"n\",1.0,1e3,-0,12345678901234567890]", "Event|/|-1|0|n|1.0 ~ 1e3 ~ -0 ~ 12345678901234567890" },
        { "event keeps escapes", "2[\"s\",\"a\\u00e9\\n\"]", "Event|/|-1|0|s|\"a\\u00e9\\n\"" },
        { "event nested containers", "2[\"x\",[1,[2]],{\"a\":{\"b\":[]}},null]", "Event|/|-1|0|x|[1,[2]] ~ {\"a\":{\"b\":[]}} ~ null" },
        { "ack", "3456[1,\"2\",{\"3\":[false]}]", "Ack|/|456|0||1 ~ \"2\" ~ {\"3\":[false]}" },
        { "ack empty", "3/admin,13[]", "Ack|/admin|13|0||" },
        { "connect error object", "4{\"message\":\"Invalid namespace\"}", "ConnectError|/|-1|0||" },
        { "connect error with data", "4/chat,{\"message\":\"x\",\"data\":{\"code\":1}}", "ConnectError|/chat|-1|0||" },
        { "connect error string", "4\"oops\"", "ConnectError|/|-1|0||" },
        { "binary event", "52-[\"message\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]", "BinaryEvent|/|-1|2|message|{\"_placeholder\":true,\"num\":0} ~ {\"_placeholder\":true,\"num\":1}" },
        { "binary event with ack", "52-789[\"message-with-ack\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]", "BinaryEvent|/|789|2|message-with-ack|{\"_placeholder\":true,\"num\":0} ~ {\"_placeholder\":true,\"num\":1}" },
        { "binary event nested placeholder", "51-/up,[\"file\",{\"name\":\"a\",\"data\":{\"_placeholder\":true,\"num\":0}}]", "BinaryEvent|/up|-1|1|file|{\"name\":\"a\",\"data\":{\"_placeholder\":true,\"num\":0}}" },
        { "binary event reversed placeholder keys", "51-[\"b\",{\"num\":0,\"_placeholder\":true}]", "BinaryEvent|/|-1|1|b|{\"num\":0,\"_placeholder\":true}" },
        { "binary ack", "61-/admin,456[{\"_placeholder\":true,\"num\":0}]", "BinaryAck|/admin|456|1||{\"_placeholder\":true,\"num\":0}" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decodes(string name, string wire, string expected)
    {
        Assert.True(SocketPacketParser.TryParse(Segments.Single(wire), out var packet), name);
        Assert.Equal(expected, Summarize(packet));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void DecodesTheSameAtEverySegmentSplit(string name, string wire, string expected)
    {
        foreach (var sequence in Segments.AllSplits(Encoding.UTF8.GetBytes(wire)))
        {
            Assert.True(SocketPacketParser.TryParse(sequence, out var packet), name);
            Assert.Equal(expected, Summarize(packet));
        }
    }

    [Fact]
    public void PlaceholdersAreLocatedInThePayload()
    {
        Assert.True(SocketPacketParser.TryParse(Segments.Single("52-[\"m\",{\"x\":{\"_placeholder\":true,\"num\":1}},{\"_placeholder\":true,\"num\":0}]"), out var packet));
        var texts = packet.Placeholders.Select(p => (Encoding.UTF8.GetString(packet.Payload, p.Start, p.Length), p.Num)).ToArray();
        Assert.Equal(
            [("{\"_placeholder\":true,\"num\":1}", 1), ("{\"_placeholder\":true,\"num\":0}", 0)],
            texts);
    }

    [Fact]
    public void PlaceholderObjectsInPlainEventsAreOrdinaryObjects()
    {
        Assert.True(SocketPacketParser.TryParse(Segments.Single("2[\"m\",{\"_placeholder\":true,\"num\":5}]"), out var packet));
        Assert.Empty(packet.Placeholders);
        Assert.Single(packet.Args);
    }

    internal static string Summarize(SocketPacket p)
    {
        var args = string.Join(" ~ ", p.Args.Select(a => Encoding.UTF8.GetString(p.Payload, a.Start, a.Length)));
        return $"{p.Type}|{p.Namespace}|{p.AckId}|{p.AttachmentCount}|{p.EventName}|{args}";
    }
}
