using System.Text.Json;

namespace Raven.Testing;

/// <summary>
/// One thing a Node-side client observed, in arrival order: a server event with its arguments, or a lifecycle
/// event (<c>connect</c>, <c>connect_error</c>, <c>disconnect</c>, <c>manager:reconnect</c>, <c>open</c>, <c>message</c>...).
/// Binary values appear as <c>{"$binary":"base64"}</c>; see <see cref="JsBinary"/>.
/// </summary>
public sealed record DriverEvent(string Client, string Name, JsonElement[] Args, long Seq)
{
    /// <summary>The argument at <paramref name="index"/>; fails with the event in the message if absent.</summary>
    public JsonElement Arg(int index) =>
        index < Args.Length ? Args[index] : throw new InvalidOperationException($"{this} has no argument {index}.");

    public override string ToString()
    {
        var args = string.Join(", ", Args.Select(a => a.GetRawText()));
        if (args.Length > 300)
        {
            args = string.Concat(args.AsSpan(0, 300), "…");
        }

        return $"#{Seq} {Client} '{Name}' [{args}]";
    }
}

/// <summary>What <c>connect_error</c> carried: <c>err.message</c> and <c>err.data</c> (undefined kind when absent).</summary>
public sealed record ConnectError(string Message, JsonElement Data);

/// <summary>A driver command the Node side rejected (unknown client, ack timeout: "operation has timed out", ...).</summary>
public sealed class NodeCommandException(string command, string message, JsonElement error)
    : Exception($"node driver '{command}' failed: {message}")
{
    /// <summary>The error's own message as the JS side reported it.</summary>
    public string ErrorMessage { get; } = message;

    /// <summary>The error serialized by the driver (message, data, description, type).</summary>
    public JsonElement Error { get; } = error;
}
