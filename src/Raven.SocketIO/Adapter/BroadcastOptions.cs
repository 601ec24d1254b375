namespace Raven.SocketIO.Adapter;

/// <summary>Modifiers of a broadcast.</summary>
public readonly record struct BroadcastFlags
{
    /// <summary>The packet may be dropped for a recipient whose send queue is full.</summary>
    public bool Volatile { get; init; }

    /// <summary>Only this server's sockets (a remote adapter must not forward).</summary>
    public bool Local { get; init; }

    /// <summary>How long to wait for acknowledgements (<c>EmitWithAckAsync</c>).</summary>
    public TimeSpan? Timeout { get; init; }
}

/// <summary>Who a broadcast reaches: sockets in any of <see cref="Rooms"/> (all when empty), minus those in any of <see cref="Except"/>.</summary>
public sealed class BroadcastOptions
{
    public BroadcastOptions(IReadOnlyCollection<string> rooms, IReadOnlyCollection<string> except, BroadcastFlags flags)
    {
        Rooms = rooms;
        Except = except;
        Flags = flags;
    }

    /// <summary>Target rooms; empty means every socket of the namespace.</summary>
    public IReadOnlyCollection<string> Rooms { get; }

    /// <summary>Rooms whose sockets are excluded (a socket id excludes that socket).</summary>
    public IReadOnlyCollection<string> Except { get; }

    public BroadcastFlags Flags { get; }
}
