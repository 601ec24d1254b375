using Raven.EngineIO.Internal;

namespace Raven.EngineIO.Tests;

/// <summary>The query string reader that replaces <c>HttpRequest.Query</c> (cached for a connection's lifetime).</summary>
public sealed class EngineQueryTests
{
    [Theory]
    [InlineData("?EIO=4&transport=websocket", "transport", "websocket")]
    [InlineData("?EIO=4&transport=websocket", "EIO", "4")]
    [InlineData("EIO=4&transport=polling&t=abc", "t", "abc")]
    [InlineData("?EIO=4", "sid", null)]
    [InlineData("?sid=a%2Bb%20c", "sid", "a+b c")]
    [InlineData("?q=a+b", "q", "a b")]
    [InlineData("?%45IO=4", "EIO", "4")]
    [InlineData("?x&EIO=4", "x", "")]
    [InlineData("?a=1&a=2", "a", "1")]
    [InlineData("?EIOX=3&EIO=4", "EIO", "4")]
    [InlineData("?&&EIO=4&", "EIO", "4")]
    [InlineData("", "EIO", null)]
    [InlineData(null, "EIO", null)]
    public void Find_returns_the_first_decoded_value(string? query, string name, string? expected)
        => Assert.Equal(expected, EngineQuery.Find(query, name));

    [Fact]
    public void Parse_decodes_every_parameter_and_joins_repeated_ones()
    {
        var query = EngineQuery.Parse("?EIO=4&transport=websocket&name=J%C3%BCrgen&a=1&a=2");
        Assert.Equal("4", query["EIO"]);
        Assert.Equal("websocket", query["transport"]);
        Assert.Equal("Jürgen", query["name"]);
        Assert.Equal("1,2", query["a"]);
        Assert.Empty(EngineQuery.Parse(null));
    }

    [Fact]
    public void A_handshake_parses_its_query_from_the_url_when_first_read()
    {
        var handshake = new EngineHandshake
        {
            Headers = new Dictionary<string, string>(),
            RemoteAddress = null,
            Url = "/engine.io/?EIO=4&transport=websocket&token=x%3Dy",
            Secure = false,
            Issued = DateTimeOffset.UnixEpoch,
        };
        Assert.Equal("x=y", handshake.Query["token"]);
        Assert.Same(handshake.Query, handshake.Query);
        Assert.Empty(new EngineHandshake { Headers = handshake.Headers, RemoteAddress = null, Url = "/engine.io/", Secure = false, Issued = default }.Query);
    }
}
