using System.Text;

namespace Raven.Server.Tests.Hostile;

/// <summary>Random, mutated and pathological Engine.IO/Socket.IO packets, all drawn from one seeded <see cref="Random"/>.</summary>
internal sealed class HostileInputs(Random random, string token, string foreignConversation, string ownConversation)
{
    private const string Palette = "0123456789-_,/[]{}\":\u001e\\ abcxyz\u00e9\u20ac\ud83d\ude80\u0000\u007f\t\r\nbB4";

    public Random Random { get; } = random;

    public string Connect => $"40{{\"token\":{Json.Quote(token)}}}";

    /// <summary>Valid packets (Engine.IO framing, Socket.IO inside) that the mutations start from.</summary>
    public string[] Seeds =>
    [
        Connect, "40", "41", "2", "3", "5", "6", "1", "bAQIDBA==", "4\u001e4",
        $"42[\"send_message\",{{\"conversation_id\":\"{foreignConversation}\",\"text\":\"hi\"}}]",
        $"42[\"send_message\",{{\"conversation_id\":\"{ownConversation}\",\"text\":\"hi\",\"url\":\"/x\",\"fileName\":\"a\"}}]",
        $"421[\"join_conversation\",{{\"conversation_id\":\"{foreignConversation}\"}}]",
        $"422[\"leave_conversation\",{{\"conversation_id\":\"{ownConversation}\"}}]",
        "42[\"heartbeat\",{\"timestamp\":1}]",
        "451-[\"send_message\",{\"_placeholder\":true,\"num\":0}]",
        "4521-[\"send_message\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]",
        "43[\"x\"]", "431[{\"ok\":true}]", "44{\"message\":\"x\"}", "40/admin,{}", "42/admin,[\"x\"]",
    ];

    public string RandomText(int maxLength)
    {
        var length = Random.Next(maxLength + 1);
        var builder = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            builder.Append(Random.Next(4) == 0 ? (char)Random.Next(0x20, 0x7f) : Palette[Random.Next(Palette.Length)]);
        }

        return builder.ToString();
    }

    public byte[] RandomBytes(int maxLength)
    {
        var bytes = new byte[Random.Next(maxLength + 1)];
        Random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>A seed packet with one to four random edits (flip, insert, delete, duplicate, truncate).</summary>
    public string Mutated()
    {
        var seeds = Seeds;
        var text = new StringBuilder(seeds[Random.Next(seeds.Length)]);
        for (var edits = Random.Next(1, 5); edits > 0 && text.Length > 0; edits--)
        {
            var at = Random.Next(text.Length);
            switch (Random.Next(5))
            {
                case 0:
                    text[at] = Palette[Random.Next(Palette.Length)];
                    break;
                case 1:
                    text.Insert(at, Palette[Random.Next(Palette.Length)]);
                    break;
                case 2:
                    text.Remove(at, 1);
                    break;
                case 3:
                    var length = Random.Next(1, text.Length - at + 1);
                    text.Insert(at, text.ToString(at, length));
                    break;
                default:
                    text.Length = at;
                    break;
            }
        }

        return text.ToString();
    }

    /// <summary>Several packets for one polling body, separated by the record separator.</summary>
    public string MutatedPayload() => string.Join('\u001e', Enumerable.Range(0, Random.Next(1, 6)).Select(_ => Mutated()));

    /// <summary>A send_message whose argument nests <paramref name="depth"/> arrays or objects.</summary>
    public static string DeepEvent(int depth, bool objects) => objects
        ? "42[\"send_message\",{\"conversation_id\":" + string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth) + "}]"
        : "42[\"send_message\"," + new string('[', depth) + new string(']', depth) + "]";

    /// <summary>A text frame that is not UTF-8 (overlong, truncated and invalid sequences after a valid prefix).</summary>
    public byte[] InvalidUtf8() => InvalidUtf8(Random.Next(InvalidUtf8Kinds));

    public const int InvalidUtf8Kinds = 3;

    /// <summary>Invalid UTF-8 of kind <paramref name="kind"/>: 0 a bad continuation, 1 bytes that never occur, 2 a truncated sequence.</summary>
    public static byte[] InvalidUtf8(int kind) =>
        [.. "42[\"send_message\",\""u8, .. kind switch { 0 => new byte[] { 0xC3, 0x28 }, 1 => [0xFF, 0xFE], _ => [0xE2, 0x82] }, .. "\"]"u8];

    /// <summary>A send_message of <paramref name="bytes"/> bytes: over maxHttpBufferSize when bytes &gt; 1,000,000.</summary>
    public static string Oversized(int bytes) => "42[\"send_message\",\"" + new string('x', bytes) + "\"]";

    /// <summary>A binary event announcing far more attachments than it will send.</summary>
    public const string LyingAttachmentCount = "45999-[\"send_message\",{\"_placeholder\":true,\"num\":0}]";
}
