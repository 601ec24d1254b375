using System.Reflection;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Raven.Server.Apis;
using Raven.Server.Internal;
using Raven.Server.Realtime;
using Raven.Server.Realtime.Internal;
using Raven.Testing;

namespace Raven.Server.Tests;

/// <summary>
/// The C# half of the client kit's drift check: describes the Socket.IO and REST contract from the server's own types
/// (event-name constants, payload records, DTO records, error codes) and requires the committed
/// <c>clients/typescript/contract.json</c> to match. The Node half (tests/js/client-kit/drift.test.mjs) requires the
/// TypeScript declarations to match the same file, so a change on either side fails one of the two.
/// Regenerate after an intended change: <c>RAVEN_UPDATE_CONTRACT=1 dotnet test --filter ContractExport</c>.
/// </summary>
public sealed partial class ContractExportTests
{
    private static readonly NullabilityInfoContext Nullability = new();

    // Which record each server event carries, and what each client event's ack returns. The constants are read by
    // reflection, so a renamed event changes the export; an event constant missing here fails Every_event_constant_is_classified.
    private static readonly Dictionary<string, Type> ServerEvents = new()
    {
        [nameof(RealtimeEvents.JoinedConversation)] = typeof(MembershipPayload),
        [nameof(RealtimeEvents.UserJoined)] = typeof(MembershipPayload),
        [nameof(RealtimeEvents.LeftConversation)] = typeof(MembershipPayload),
        [nameof(RealtimeEvents.UserLeft)] = typeof(MembershipPayload),
        [nameof(RealtimeEvents.NewMessage)] = typeof(NewMessagePayload),
        [nameof(RealtimeEvents.MessageDeleted)] = typeof(MessageDeletedPayload),
        [nameof(RealtimeEvents.FriendStatusChanged)] = typeof(StatusPayload),
        [nameof(RealtimeEvents.Error)] = typeof(ErrorPayload),
    };

    // Client payloads are read field by field with Utf8JsonReader (ClientPayload), not bound to records, so their
    // shapes are stated here and their field names are checked against the names ClientPayload really reads.
    private static readonly Dictionary<string, (Dictionary<string, string> Payload, Type Ack)> ClientEvents = new()
    {
        [nameof(RealtimeEvents.JoinConversation)] = (new() { ["conversation_id"] = "string" }, typeof(MembershipPayload)),
        [nameof(RealtimeEvents.LeaveConversation)] = (new() { ["conversation_id"] = "string" }, typeof(MembershipPayload)),
        [nameof(RealtimeEvents.SendMessage)] = (new()
        {
            ["conversation_id"] = "string",
            ["text?"] = "string | null",
            ["url?"] = "string | null",
            ["fileName?"] = "string | null",
        }, typeof(NewMessagePayload)),
        // The server ignores the heartbeat's payload (its own clock decides); the seed's client sends {timestamp}.
        [nameof(RealtimeEvents.Heartbeat)] = (new() { ["timestamp?"] = "number" }, typeof(HeartbeatPayload)),
    };

    // The handshake refusals (AccessTokenValidator / ChatSocketHandlers.AuthenticateAsync): connect_error messages.
    private static readonly string[] ConnectErrorCodes =
    [
        nameof(RealtimeEvents.AuthenticationRequired), nameof(RealtimeEvents.InvalidToken), nameof(RealtimeEvents.TokenExpired), nameof(RealtimeEvents.TooManySockets),
    ];

    private static string ContractPath => Path.Combine(RepoPaths.Root, "clients", "typescript", "contract.json");

    [Fact]
    public void Committed_contract_json_matches_the_server_types()
    {
        var expected = Export().ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }).ReplaceLineEndings("\n") + "\n";
        if (Environment.GetEnvironmentVariable("RAVEN_UPDATE_CONTRACT") == "1")
        {
            File.WriteAllText(ContractPath, expected);
        }

        Assert.True(File.Exists(ContractPath), $"{ContractPath} is missing; run with RAVEN_UPDATE_CONTRACT=1 to create it.");
        var committed = File.ReadAllText(ContractPath).ReplaceLineEndings("\n");
        Assert.True(
            committed == expected,
            "clients/typescript/contract.json differs from the server's types. If the change is intended, regenerate it "
            + "(RAVEN_UPDATE_CONTRACT=1 dotnet test tests/Raven.Server.Tests --filter ContractExport), update "
            + $"clients/typescript/src to match, and run the client-kit drift test. Expected:\n{expected}");
    }

    [Fact]
    public void Every_event_constant_is_classified()
    {
        foreach (var field in Constants())
        {
            var value = (string)field.GetRawConstantValue()!;
            var known = ServerEvents.ContainsKey(field.Name) || ClientEvents.ContainsKey(field.Name) || IsErrorCode(value);
            Assert.True(known, $"RealtimeEvents.{field.Name} = \"{value}\" is neither a known event nor an error code: add it to the export.");
        }
    }

    [Fact]
    public void Client_payload_fields_are_the_names_the_server_reads()
    {
        var read = ClientPayloadFieldNames();
        var declared = ClientEvents
            .Where(e => e.Key != nameof(RealtimeEvents.Heartbeat))
            .SelectMany(e => e.Value.Payload.Keys)
            .Select(k => k.TrimEnd('?'))
            .ToHashSet();
        Assert.Equal(read.Order(), declared.Order());
    }

    private static JsonObject Export()
    {
        var clientToServer = new JsonObject();
        foreach (var (name, (payload, ack)) in ClientEvents.OrderBy(e => EventName(e.Key), StringComparer.Ordinal))
        {
            var fields = new JsonObject();
            foreach (var (field, type) in payload.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                fields[field] = type;
            }

            clientToServer[EventName(name)] = new JsonObject { ["payload"] = fields, ["ack"] = Fields(ack) };
        }

        var serverToClient = new JsonObject();
        foreach (var (name, type) in ServerEvents.OrderBy(e => EventName(e.Key), StringComparer.Ordinal))
        {
            serverToClient[EventName(name)] = new JsonObject { ["payload"] = Fields(type) };
        }

        var errorCodes = Constants().Select(f => (string)f.GetRawConstantValue()!).Where(IsErrorCode).Order(StringComparer.Ordinal);
        var rest = new JsonObject();
        foreach (var type in RestTypes())
        {
            rest[type.Name] = new JsonObject
            {
                ["direction"] = IsRequest(type) ? "request" : "response",
                ["fields"] = Fields(type),
            };
        }

        return new JsonObject
        {
            ["description"] = "Generated by tests/Raven.Server.Tests/ContractExportTests.cs from the server's types; checked against src/ by tests/js/client-kit/drift.test.mjs. Do not edit by hand.",
            ["socket"] = new JsonObject
            {
                ["clientToServer"] = clientToServer,
                ["serverToClient"] = serverToClient,
                ["ack"] = Fields(typeof(AckPayload)),
                ["errorCodes"] = new JsonArray(errorCodes.Select(c => (JsonNode)c).ToArray()),
                ["connectErrorCodes"] = new JsonArray(ConnectErrorCodes.Select(ConstantValue).Order(StringComparer.Ordinal).Select(c => (JsonNode)c).ToArray()),
            },
            ["rest"] = rest,
        };
    }

    // Every non-generic record of the REST wire (Raven.Server.Apis) plus the error body.
    private static IEnumerable<Type> RestTypes() =>
        typeof(UserDto).Assembly.GetTypes()
            .Where(t => t.Namespace == typeof(UserDto).Namespace && t.IsClass && !t.IsGenericType && IsRecord(t))
            .Append(typeof(ApiErrorBody))
            .OrderBy(t => t.Name, StringComparer.Ordinal);

    private static bool IsRecord(Type type) => type.GetMethod("<Clone>$") is not null;

    private static bool IsRequest(Type type) => type.Name.EndsWith("Request", StringComparison.Ordinal) || type.Name.EndsWith("RequestCreate", StringComparison.Ordinal);

    private static JsonObject Fields(Type type)
    {
        var fields = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetCustomAttribute<JsonIgnoreAttribute>() is { Condition: JsonIgnoreCondition.Always })
            {
                continue;
            }

            var name = property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicy.CamelCase.ConvertName(property.Name);
            var omittedWhenNull = property.GetCustomAttribute<JsonIgnoreAttribute>() is { Condition: JsonIgnoreCondition.WhenWritingNull };
            var nullable = Nullability.Create(property).ReadState == NullabilityState.Nullable;
            var tsType = TsType(UnwrapNullable(property.PropertyType));
            fields[omittedWhenNull ? name + "?" : name] = nullable && !omittedWhenNull ? tsType + " | null" : tsType;
        }

        var json = new JsonObject();
        foreach (var (name, tsType) in fields)
        {
            json[name] = tsType;
        }

        return json;
    }

    private static Type UnwrapNullable(Type type) => Nullable.GetUnderlyingType(type) ?? type;

    private static string TsType(Type type)
    {
        type = UnwrapNullable(type);
        if (type == typeof(string) || type == typeof(DateTimeOffset) || type == typeof(DateTime))
        {
            return "string";
        }

        if (type == typeof(bool))
        {
            return "boolean";
        }

        if (type == typeof(int) || type == typeof(long) || type == typeof(double))
        {
            return "number";
        }

        if (type == typeof(object))
        {
            return "unknown";
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>) && type.GetGenericArguments()[0] == typeof(string))
        {
            return $"Record<string, {TsType(type.GetGenericArguments()[1])}>";
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>))
        {
            return TsType(type.GetGenericArguments()[0]) + "[]";
        }

        if (type.IsArray)
        {
            return TsType(type.GetElementType()!) + "[]";
        }

        if (IsRecord(type))
        {
            return type.Name;
        }

        throw new NotSupportedException($"No TypeScript mapping for {type}: extend ContractExportTests.TsType.");
    }

    private static IEnumerable<FieldInfo> Constants() =>
        typeof(RealtimeEvents).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral && f.FieldType == typeof(string));

    private static string ConstantValue(string fieldName) =>
        (string)typeof(RealtimeEvents).GetField(fieldName, BindingFlags.Public | BindingFlags.Static)!.GetRawConstantValue()!;

    private static string EventName(string fieldName) => ConstantValue(fieldName);

    private static bool IsErrorCode(string value) => ErrorCodeShape().IsMatch(value);

    [GeneratedRegex("^[A-Z][A-Z_]+$")]
    private static partial Regex ErrorCodeShape();

    [GeneratedRegex("""ValueTextEquals\("([^"]+)"u8\)""")]
    private static partial Regex FieldRead();

    // ClientPayload reads its fields with Utf8JsonReader.ValueTextEquals("<name>"u8); UTF-8 literals leave no
    // metadata to reflect over, so the names come from the source file that defines them.
    private static HashSet<string> ClientPayloadFieldNames()
    {
        var source = File.ReadAllText(Path.Combine(RepoPaths.Root, "src", "Raven.Server", "Realtime", "Internal", "Payloads.cs"));
        var names = FieldRead().Matches(source).Select(m => m.Groups[1].Value).ToHashSet();
        Assert.NotEmpty(names);
        return names;
    }
}
