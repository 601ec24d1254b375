using System.Text;
using Raven.SocketIO.Protocol;
using Raven.SocketIO.Tests.Infrastructure;

namespace Raven.SocketIO.Tests.Protocol;

public class MalformedPacketTests
{
    public static TheoryData<string, string> Cases => new()
    {
        { "empty", "" },
        { "unknown type letter (4abc on the wire)", "abc" },
        { "unknown type digit", "7[\"a\"]" },
        { "event payload not an array", "2{}" },
        { "junk where the ack id goes", "2abc[\"message-with-ack\",1]" },
        { "event without payload", "2" },
        { "event namespace without payload", "2/admin," },
        { "event empty array", "2[]" },
        { "event name not a string", "2[1,2]" },
        { "event name an object", "2[{\"a\":1}]" },
        { "reserved event name", "2[\"connect\"]" },
        { "reserved event name disconnecting", "2[\"disconnecting\",1]" },
        { "trailing junk", "2[\"a\"]x" },
        { "two JSON values", "2[\"a\"][\"b\"]" },
        { "truncated JSON", "2[\"a\",{\"b\":" },
        { "invalid JSON", "2[\"a\",tru]" },
        { "single quotes", "2['a']" },
        { "ack without id", "3[1]" },
        { "ack payload not an array", "3456{}" },
        { "ack without payload", "3456" },
        { "disconnect with payload", "1{}" },
        { "connect payload an array", "0[]" },
        { "connect payload a string", "0\"x\"" },
        { "connect with ack id", "01{}" },
        { "connect error number", "44" },
        { "binary event without count", "5-[\"a\",{\"_placeholder\":true,\"num\":0}]" },
        { "binary event without dash", "51[\"a\",{\"_placeholder\":true,\"num\":0}]" },
        { "binary event letter count", "5x-[\"a\"]" },
        { "binary event huge count", "599999-[\"a\"]" },
        { "placeholder num out of range", "51-[\"a\",{\"_placeholder\":true,\"num\":1}]" },
        { "placeholder num negative", "51-[\"a\",{\"_placeholder\":true,\"num\":-1}]" },
        { "placeholder num not a number", "51-[\"a\",{\"_placeholder\":true,\"num\":\"0\"}]" },
        { "placeholder flag not true", "51-[\"a\",{\"_placeholder\":1,\"num\":0}]" },
        { "placeholder extra key", "51-[\"a\",{\"_placeholder\":true,\"num\":0,\"x\":1}]" },
        { "ack id too long", "21234567890123456[\"a\"]" },
        { "namespace invalid UTF-8", "\u0000" },
        { "trailing comma in array", "2[\"a\",]" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void IsRejected(string name, string wire)
    {
        Assert.False(SocketPacketParser.TryParse(Segments.Single(wire), out _), name);
        foreach (var sequence in Segments.AllSplits(Encoding.UTF8.GetBytes(wire)))
        {
            Assert.False(SocketPacketParser.TryParse(sequence, out _), name);
        }
    }

    [Theory]
    [InlineData(new byte[] { (byte)'2', (byte)'[', (byte)'"', 0xC9, (byte)'"', (byte)']' })]
    [InlineData(new byte[] { (byte)'2', (byte)'[', (byte)'"', (byte)'a', (byte)'"', (byte)',', (byte)'"', 0xFF, (byte)'"', (byte)']' })]
    public void InvalidUtf8InThePayloadIsRejected(byte[] wire)
    {
        Assert.False(SocketPacketParser.TryParse(Segments.Create(wire), out _));
    }

    [Fact]
    public void NamespaceWithInvalidUtf8IsRejected()
    {
        byte[] wire = [(byte)'0', (byte)'/', 0xFF, 0xFE, (byte)','];
        Assert.False(SocketPacketParser.TryParse(Segments.Create(wire), out _));
    }
}
