using System.Text.Json;
using System.Text.Json.Serialization;
using Raven.Chat;
using Raven.Server.Internal;

namespace Raven.Server.Realtime.Internal;

// Outgoing payloads. Property names are the wire contract: snake_case where the seed uses it, camelCase elsewhere.

internal sealed record MembershipPayload(
    [property: JsonPropertyName("conversation_id")] string ConversationId,
    [property: JsonPropertyName("user_id")] string UserId,
    [property: JsonPropertyName("username")] string Username);

internal sealed record ErrorPayload(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("details"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Details);

internal sealed record NewMessagePayload(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("conversationId")] string ConversationId,
    [property: JsonPropertyName("senderId")] string SenderId,
    [property: JsonPropertyName("senderName")] string SenderName,
    [property: JsonPropertyName("senderAvatar"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? SenderAvatar,
    [property: JsonPropertyName("text")] string? Text,
    [property: JsonPropertyName("url")] string? Url,
    [property: JsonPropertyName("fileName")] string? FileName,
    // A string, not a DateTimeOffset: the web client shows createdAt verbatim, so it must be toISOString()'s format.
    [property: JsonPropertyName("createdAt")] string CreatedAt)
{
    public static NewMessagePayload From(Message m) =>
        new(m.Id, m.ConversationId, m.SenderId, m.SenderName, m.SenderAvatar, m.Text, m.Url, m.FileName, UtcDateTimeOffsetConverter.ToIso(m.CreatedAt));
}

internal sealed record MessageDeletedPayload(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("conversationId")] string ConversationId);

internal sealed record StatusPayload(
    [property: JsonPropertyName("user_id")] string UserId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("timestamp")] string Timestamp);

internal sealed record HeartbeatPayload(
    [property: JsonPropertyName("user_id")] string UserId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("timestamp")] string Timestamp);

/// <summary>The acknowledgement of a client event that asked for one.</summary>
internal sealed record AckPayload(
    [property: JsonPropertyName("ok")] bool Ok,
    [property: JsonPropertyName("data"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] object? Data,
    [property: JsonPropertyName("error"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ErrorPayload? Error)
{
    public static AckPayload Success(object data) => new(true, data, null);

    public static AckPayload Failure(ErrorPayload error) => new(false, null, error);
}

/// <summary>The authenticated user of a socket (kept in <c>socket.Data</c>).</summary>
internal sealed record SocketUser(string UserId, string Username, string? Email)
{
    /// <summary>The session (refresh family) of the socket's token, when it names one.</summary>
    public string? SessionId { get; init; }

    /// <summary>When the socket's token expires: the socket is disconnected then.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>The socket's own event bucket.</summary>
    public TokenBucket Events { get; set; } = null!;

    /// <summary>Fires at <see cref="ExpiresAt"/>; disposed on disconnect.</summary>
    public ITimer? ExpiryTimer { get; set; }

    /// <summary>Events refused in a row by the rate limit.</summary>
    public int Strikes;
}

internal enum FieldKind : byte
{
    Missing,
    Null,
    String,
    Other,
}

internal readonly record struct Field(FieldKind Kind, string? Value)
{
    public bool IsAbsent => Kind is FieldKind.Missing or FieldKind.Null;
}

/// <summary>
/// The fields of a client event's first argument that the chat events use. Read with <see cref="Utf8JsonReader"/>
/// straight from the packet bytes and type-checked by hand, so no payload shape can make a handler throw.
/// </summary>
internal readonly struct ClientPayload
{
    /// <summary>Null when the argument is a JSON object; otherwise what it was ("missing", "a string", ...).</summary>
    public string? NotAnObject { get; private init; }

    public Field ConversationId { get; private init; }

    public Field Text { get; private init; }

    public Field Url { get; private init; }

    public Field FileName { get; private init; }

    public static ClientPayload Read(Raven.SocketIO.SocketIOArguments args)
    {
        if (args.Count == 0)
        {
            return new ClientPayload { NotAnObject = "missing" };
        }

        try
        {
            return Read(args.GetRaw(0).Span);
        }
        catch (JsonException)
        {
            // The Socket.IO parser validated the JSON already; this only guards against surprises.
            return new ClientPayload { NotAnObject = "not valid JSON" };
        }
    }

    private static ClientPayload Read(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read())
        {
            return new ClientPayload { NotAnObject = "missing" };
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return new ClientPayload { NotAnObject = Describe(reader.TokenType) };
        }

        Field conversationId = default, text = default, url = default, fileName = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            // Duplicate keys: the last one wins, as with JSON.parse.
            if (reader.ValueTextEquals("conversation_id"u8))
            {
                conversationId = ReadValue(ref reader);
            }
            else if (reader.ValueTextEquals("text"u8))
            {
                text = ReadValue(ref reader);
            }
            else if (reader.ValueTextEquals("url"u8))
            {
                url = ReadValue(ref reader);
            }
            else if (reader.ValueTextEquals("fileName"u8))
            {
                fileName = ReadValue(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return new ClientPayload { ConversationId = conversationId, Text = text, Url = url, FileName = fileName };
    }

    private static Field ReadValue(ref Utf8JsonReader reader)
    {
        reader.Read();
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return new Field(FieldKind.String, reader.GetString());
            case JsonTokenType.Null:
                return new Field(FieldKind.Null, null);
            default:
                var kind = Describe(reader.TokenType);
                reader.Skip();
                return new Field(FieldKind.Other, kind);
        }
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartArray => "an array",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => "not a JSON value",
    };
}
