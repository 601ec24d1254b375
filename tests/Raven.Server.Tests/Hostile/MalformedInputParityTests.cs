using System.Net;
using System.Text;
using Raven.Testing;
using Xunit.Abstractions;

namespace Raven.Server.Tests.Hostile;

/// <summary>
/// Malformed input costs a client the same over either transport: whether Engine.IO or Socket.IO finds it malformed,
/// the offending session is closed at once. A polling POST that carried it is answered 400 <c>{"code":3}</c> and the
/// sid is unknown afterwards; a WebSocket is closed by the server. Two bystanders of the official socket.io-client
/// (one per transport) keep talking throughout. Against the real server process, Production settings.
/// </summary>
public sealed class MalformedInputParityTests(MalformedInputParityTests.Fixture fixture, ITestOutputHelper output)
    : IClassFixture<MalformedInputParityTests.Fixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    /// <summary>Each input as the packets it is made of: one polling POST joins them with 0x1e, a WebSocket sends a frame each.</summary>
    private static readonly Dictionary<string, (bool Connected, byte[][] Packets)> Inputs = new()
    {
        ["invalid UTF-8: bad continuation"] = (true, [HostileInputs.InvalidUtf8(0)]),
        ["invalid UTF-8: bytes that never occur"] = (true, [HostileInputs.InvalidUtf8(1)]),
        ["invalid UTF-8: truncated sequence"] = (true, [HostileInputs.InvalidUtf8(2)]),
        ["invalid UTF-8 before CONNECT"] = (false, [HostileInputs.InvalidUtf8(0)]),
        ["invalid UTF-8 after a valid packet"] = (true, [Ascii("42[\"heartbeat\",{\"timestamp\":1}]"), HostileInputs.InvalidUtf8(1)]),
        ["10,000 nested arrays"] = (true, [Ascii(HostileInputs.DeepEvent(10_000, objects: false))]),
        ["10,000 nested objects"] = (true, [Ascii(HostileInputs.DeepEvent(10_000, objects: true))]),
        ["65 nested arrays"] = (true, [Ascii(HostileInputs.DeepEvent(65, objects: false))]),
        ["junk before the payload"] = (true, [Ascii("42abc[\"send_message\",{}]")]),
        ["non-string event name"] = (true, [Ascii("42[1,{}]")]),
        ["unknown Socket.IO packet type"] = (true, [Ascii("47[\"x\"]")]),
        ["lying attachment count"] = (true, [Ascii(HostileInputs.LyingAttachmentCount)]),
        ["binary packet before CONNECT"] = (false, [Ascii("451-[\"send_message\",{\"_placeholder\":true,\"num\":0}]")]),
        ["text while an attachment is expected"] = (true, [Ascii("451-[\"send_message\",{\"_placeholder\":true,\"num\":0}]"), Ascii("42[\"heartbeat\",{\"timestamp\":1}]")]),
        ["unknown Engine.IO packet type"] = (true, [Ascii("9")]),
        ["client ping"] = (true, [Ascii("2")]),
    };

    public static TheoryData<string> InputNames => [.. Inputs.Keys];

    [Theory]
    [MemberData(nameof(InputNames))]
    public async Task Polling_post_with_malformed_input_is_answered_400_and_closes_only_its_session(string input)
    {
        var (connected, packets) = Inputs[input];
        var polling = new RawPolling(fixture.Http, fixture.Server.BaseUrl);
        var (sid, status) = await polling.HandshakeAsync();
        Assert.True(sid is not null, $"handshake {status}");
        if (connected)
        {
            Assert.Equal(HttpStatusCode.OK, await polling.PostAsync(sid, fixture.Connect));
            var connect = await polling.PollAsync(sid, Wait);
            Assert.True(connect is { Status: HttpStatusCode.OK } && connect.Value.Body.StartsWith("40{", StringComparison.Ordinal), $"CONNECT answered {connect}");
        }

        var post = await polling.PostForAnswerAsync(sid, [.. packets.SelectMany((p, i) => i == 0 ? p : [0x1e, .. p])]);
        var poll = await polling.PollAsync(sid, Wait);
        var after = await polling.PostForAnswerAsync(sid, Ascii("42[\"heartbeat\",{\"timestamp\":2}]"));
        output.WriteLine($"{input}: POST {(int)post.Status} {post.Body}; then GET {Describe(poll)}; then POST {(int)after.Status} {after.Body}");

        Assert.Equal(HttpStatusCode.BadRequest, post.Status);
        Assert.Equal("""{"code":3,"message":"Bad request"}""", post.Body);
        Assert.True(poll is { Status: HttpStatusCode.BadRequest } && poll.Value.Body.Contains("\"code\":1", StringComparison.Ordinal), $"the session was still there: GET {Describe(poll)}");
        Assert.Equal(HttpStatusCode.BadRequest, after.Status);
        await fixture.AssertBystandersUnaffectedAsync(input);
    }

    [Theory]
    [MemberData(nameof(InputNames))]
    public async Task WebSocket_frame_with_malformed_input_closes_only_its_session(string input)
    {
        var (connected, packets) = Inputs[input];
        await using var ws = await RawWebSocket.OpenAsync(fixture.Server.BaseUrl);
        if (connected)
        {
            await ws.TrySendAsync(fixture.Connect);
            Assert.NotNull(await ws.ReceiveStartingWithAsync("40{", Wait));
        }

        foreach (var packet in packets)
        {
            await ws.TrySendAsync(packet);
        }

        var closed = await ws.ClosedByServerWithinAsync(Wait);
        output.WriteLine($"{input}: {(closed ? "closed by the server" : "still open")}");
        Assert.True(closed, $"{input}: the WebSocket stayed open");
        await fixture.AssertBystandersUnaffectedAsync(input);
    }

    private static byte[] Ascii(string text) => Encoding.UTF8.GetBytes(text);

    private static string Describe((HttpStatusCode Status, string Body)? poll)
        => poll is { } p ? $"{(int)p.Status} {p.Body}" : "no answer";

    /// <summary>One server process for all inputs, the attacker's token, and the two bystanders.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        private NodeDriver? _node;
        private HostileServer? _server;
        private GoodConversation? _conversation;

        internal HostileServer Server => _server!;

        public HttpClient Http { get; } = new(new SocketsHttpHandler { UseCookies = false }) { Timeout = TimeSpan.FromSeconds(30) };

        public string Connect { get; private set; } = "";

        public async Task InitializeAsync()
        {
            _server = await HostileServer.StartAsync();
            _node = await NodeDriver.StartAsync();
            var (aliceApi, aliceToken, _) = await _server.SignUpAsync("alice");
            var (_, bobToken, bobId) = await _server.SignUpAsync("bob");
            var (_, maliceToken, _) = await _server.SignUpAsync("malice");
            Connect = $"40{{\"token\":{Json.Quote(maliceToken)}}}";
            var chat = await HostileServer.GroupAsync(aliceApi, bobId);
            var alice = await GoodClients.ConnectAsync(_node, _server, aliceToken, "websocket", chat);
            var bob = await GoodClients.ConnectAsync(_node, _server, bobToken, "polling", chat);
            _conversation = new GoodConversation(alice, bob, chat);
        }

        /// <summary>The bystanders were never disconnected and still exchange a message each way.</summary>
        internal async Task AssertBystandersUnaffectedAsync(string input)
        {
            Server.AssertAlive(input);
            await _conversation!.ExchangeAsync($"after {input} (1)");
            await _conversation.ExchangeAsync($"after {input} (2)");
            _conversation.AssertNeitherDisconnected(input);
        }

        public async Task DisposeAsync()
        {
            Http.Dispose();
            if (_node is not null)
            {
                await _node.DisposeAsync();
            }

            if (_server is not null)
            {
                await _server.DisposeAsync();
            }
        }
    }
}
