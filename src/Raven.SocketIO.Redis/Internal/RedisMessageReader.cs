using System.Text.Json;
using Raven.SocketIO.Adapter;

namespace Raven.SocketIO.Redis.Internal;

/// <summary>A broadcast received from another server, its arguments already in Socket.IO's text form.</summary>
internal sealed record IncomingBroadcast(byte[] Json, List<ReadOnlyMemory<byte>> Attachments, BroadcastOptions Options);

/// <summary>
/// Reads what other servers publish (the format is documented on <see cref="RedisMessageWriter"/>). Everything from
/// Redis is untrusted input: malformed messages throw <see cref="FormatException"/> or <see cref="JsonException"/>.
/// </summary>
internal static class RedisMessageReader
{
    /// <summary>Reads <c>[uid, packet, opts]</c>; false when it is this server's own message or another namespace's.</summary>
    public static bool TryReadBroadcast(ReadOnlySpan<byte> message, ReadOnlySpan<byte> ownUid, string nsp, out IncomingBroadcast? broadcast)
    {
        broadcast = null;
        var reader = new MessagePackReader(message);
        if (reader.ReadArrayHeader() < 3)
        {
            throw new FormatException("A broadcast is [uid, packet, opts].");
        }

        if (reader.PeekKind() == MessagePackKind.String && reader.ReadStringBytes().SequenceEqual(ownUid))
        {
            return false;
        }

        byte[]? json = null;
        List<ReadOnlyMemory<byte>>? attachments = null;
        var packetNsp = "/";
        var fields = reader.ReadMapHeader();
        for (var i = 0; i < fields; i++)
        {
            switch (reader.ReadString())
            {
                case "data":
                    (json, attachments) = JsonMessagePackTranscoder.ToJson(ref reader);
                    break;
                case "nsp":
                    packetNsp = reader.ReadNullableString() ?? "/";
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        if (packetNsp != nsp)
        {
            return false;
        }

        if (json is null || json.Length == 0 || json[0] != '[')
        {
            throw new FormatException("A broadcast packet has no data array.");
        }

        broadcast = new IncomingBroadcast(json, attachments!, ReadOptions(ref reader));
        return true;
    }

    /// <summary>A request or response as a JSON document; a MessagePack one is converted, its binaries becoming placeholders.</summary>
    public static JsonDocument ReadEnvelope(ReadOnlyMemory<byte> message, out List<ReadOnlyMemory<byte>> attachments)
    {
        if (!message.IsEmpty && message.Span[0] == '{')
        {
            attachments = [];
            return JsonDocument.Parse(message);
        }

        var reader = new MessagePackReader(message.Span);
        var (json, found) = JsonMessagePackTranscoder.ToJson(ref reader);
        attachments = found;
        return JsonDocument.Parse(json);
    }

    /// <summary>The <c>{rooms, except}</c> of a request (absent lists are empty).</summary>
    public static BroadcastOptions ReadTarget(JsonElement opts, BroadcastFlags flags = default) =>
        new(Strings(opts, "rooms"), Strings(opts, "except"), flags);

    /// <summary>The string array property <paramref name="name"/> (numbers become strings, as JavaScript room names may be).</summary>
    public static string[] Strings(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Object
            || !element.TryGetProperty(name, out var array)
            || array.ValueKind != JsonValueKind.Array)
        {
            return [];
        }

        var result = new List<string>(array.GetArrayLength());
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind is JsonValueKind.String or JsonValueKind.Number)
            {
                result.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : item.GetRawText());
            }
        }

        return [.. result];
    }

    public static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>A socket from a REMOTE_FETCH response; its handshake and data as Node (or Raven) described them.</summary>
    public static RemoteSocket ReadSocket(SocketNamespace nsp, JsonElement socket)
    {
        var id = String(socket, "id") ?? throw new FormatException("A fetched socket has no id.");
        var handshake = socket.TryGetProperty("handshake", out var h) && h.ValueKind == JsonValueKind.Object ? h : default;
        var issued = handshake.ValueKind == JsonValueKind.Object && handshake.TryGetProperty("issued", out var i) && i.TryGetInt64(out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : DateTimeOffset.UnixEpoch;
        var auth = handshake.ValueKind == JsonValueKind.Object && handshake.TryGetProperty("auth", out var a) ? a.Clone() : EmptyObject();
        var result = new SocketHandshake
        {
            Headers = Dictionary(handshake, "headers", StringComparer.OrdinalIgnoreCase),
            Query = Dictionary(handshake, "query", StringComparer.Ordinal),
            Auth = auth,
            Address = handshake.ValueKind == JsonValueKind.Object ? String(handshake, "address") : null,
            Time = issued,
            Url = (handshake.ValueKind == JsonValueKind.Object ? String(handshake, "url") : null) ?? string.Empty,
            Secure = handshake.ValueKind == JsonValueKind.Object && handshake.TryGetProperty("secure", out var s) && s.ValueKind == JsonValueKind.True,
        };
        object? data = socket.TryGetProperty("data", out var d) && d.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined) ? d.Clone() : null;
        return new RemoteSocket(nsp, id, result, new HashSet<string>(Strings(socket, "rooms"), StringComparer.Ordinal), data);
    }

    private static Dictionary<string, string> Dictionary(JsonElement parent, string name, StringComparer comparer)
    {
        var result = new Dictionary<string, string>(comparer);
        if (parent.ValueKind != JsonValueKind.Object || !parent.TryGetProperty(name, out var obj) || obj.ValueKind != JsonValueKind.Object)
        {
            return result;
        }

        foreach (var property in obj.EnumerateObject())
        {
            result[property.Name] = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString()!,
                // Node keeps repeated headers (set-cookie) and query keys as arrays.
                JsonValueKind.Array => string.Join(", ", property.Value.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText())),
                _ => property.Value.GetRawText(),
            };
        }

        return result;
    }

    private static JsonElement EmptyObject()
    {
        using var doc = JsonDocument.Parse("{}");
        return doc.RootElement.Clone();
    }

    private static BroadcastOptions ReadOptions(ref MessagePackReader reader)
    {
        string[] rooms = [];
        string[] except = [];
        var isVolatile = false;
        var fields = reader.ReadMapHeader();
        for (var i = 0; i < fields; i++)
        {
            switch (reader.ReadString())
            {
                case "rooms":
                    rooms = ReadStrings(ref reader);
                    break;
                case "except":
                    except = ReadStrings(ref reader);
                    break;
                case "flags" when reader.PeekKind() == MessagePackKind.Map:
                    var flags = reader.ReadMapHeader();
                    for (var f = 0; f < flags; f++)
                    {
                        if (reader.ReadString() == "volatile" && reader.PeekKind() == MessagePackKind.Boolean)
                        {
                            isVolatile = reader.ReadBoolean();
                        }
                        else
                        {
                            reader.Skip();
                        }
                    }

                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        // Local: what arrives from Redis is delivered here and never forwarded again.
        return new BroadcastOptions(rooms, except, new BroadcastFlags { Volatile = isVolatile, Local = true });
    }

    private static string[] ReadStrings(ref MessagePackReader reader)
    {
        if (reader.TryReadNil())
        {
            return [];
        }

        var count = reader.ReadArrayHeader();
        var result = new string[count];
        for (var i = 0; i < count; i++)
        {
            result[i] = reader.PeekKind() == MessagePackKind.String
                ? reader.ReadString()
                : reader.ReadNumber().ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return result;
    }
}
