namespace Raven.SocketIO.Redis;

/// <summary>
/// The Redis channel names of one namespace, exactly as <c>@socket.io/redis-adapter</c> 8.x names them, so Node
/// and Raven servers sharing a Redis (and <c>@socket.io/redis-emitter</c>) reach each other.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>{prefix}#{nsp}#</c>: broadcasts to the whole namespace or several rooms.</item>
/// <item><c>{prefix}#{nsp}#{room}#</c>: broadcasts to exactly one room (a server without that room skips decoding).</item>
/// <item><c>{prefix}#{nsp}#*</c>: the pattern every server PSUBSCRIBEs to, covering both of the above.</item>
/// <item><c>{prefix}-request#{nsp}#</c>: requests to all servers; <c>PUBSUB NUMSUB</c> on it counts the servers.</item>
/// <item><c>{prefix}-response#{nsp}#</c> and <c>{prefix}-response#{nsp}#{uid}#</c>: responses (shared, or per requester).</item>
/// </list>
/// </remarks>
public sealed class RedisChannels
{
    /// <summary>Channel names for namespace <paramref name="nsp"/> under <paramref name="prefix"/> (default <c>socket.io</c>).</summary>
    public RedisChannels(string prefix, string nsp, string uid)
    {
        Broadcast = $"{prefix}#{nsp}#";
        BroadcastPattern = Broadcast + "*";
        Request = $"{prefix}-request#{nsp}#";
        Response = $"{prefix}-response#{nsp}#";
        SpecificResponse = $"{Response}{uid}#";
    }

    /// <summary>Namespace-wide broadcast channel, also the prefix of every room channel.</summary>
    public string Broadcast { get; }

    /// <summary>The PSUBSCRIBE pattern covering the namespace and all its room channels.</summary>
    public string BroadcastPattern { get; }

    /// <summary>Where requests to every server are published.</summary>
    public string Request { get; }

    /// <summary>Where responses are published by default.</summary>
    public string Response { get; }

    /// <summary>This server's own response channel (used by peers configured with <c>publishOnSpecificResponseChannel</c>).</summary>
    public string SpecificResponse { get; }

    /// <summary>The channel for a broadcast to exactly one room.</summary>
    public string Room(string room) => Broadcast + room + "#";

    /// <summary>The response channel of the server with <paramref name="uid"/> (for <c>publishOnSpecificResponseChannel</c>).</summary>
    public string ResponseFor(string uid) => Response + uid + "#";

    /// <summary>The room a broadcast channel targets: empty for the namespace channel, null if the channel is not one of ours.</summary>
    public string? RoomOf(string channel)
    {
        if (!channel.StartsWith(Broadcast, StringComparison.Ordinal) || channel.Length < Broadcast.Length)
        {
            return null;
        }

        return channel.Length == Broadcast.Length ? string.Empty : channel[Broadcast.Length..^1];
    }
}
