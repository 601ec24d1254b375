namespace Raven.SocketIO.Protocol;

/// <summary>A byte range inside <see cref="SocketPacket.Payload"/>.</summary>
internal readonly record struct JsonSlice(int Start, int Length);

/// <summary>A binary placeholder object found inside a payload: where it is and which attachment it names.</summary>
internal readonly record struct PlaceholderRef(int Start, int Length, int Num);

/// <summary>
/// A decoded incoming packet. The JSON payload is copied out of the (pooled) transport buffer once, and
/// arguments stay as slices of that copy until a handler binds them, so re-emitting one reproduces its exact text.
/// </summary>
internal sealed class SocketPacket
{
    public SocketPacketType Type { get; init; }

    public string Namespace { get; init; } = "/";

    /// <summary>The ack id, or -1 when the packet carries none.</summary>
    public long AckId { get; init; } = -1;

    /// <summary>How many binary frames follow (binary packet types only).</summary>
    public int AttachmentCount { get; init; }

    /// <summary>The JSON part, empty when the packet had none.</summary>
    public byte[] Payload { get; init; } = [];

    /// <summary>EVENT / BINARY_EVENT: the event name (first array element).</summary>
    public string? EventName { get; init; }

    /// <summary>EVENT: the elements after the name; ACK: all elements.</summary>
    public JsonSlice[] Args { get; init; } = [];

    /// <summary>Placeholders in document order (binary types only).</summary>
    public PlaceholderRef[] Placeholders { get; init; } = [];

    /// <summary>Binary frames received so far for this packet.</summary>
    public ReadOnlyMemory<byte>[] Attachments { get; init; } = [];

    public int ReceivedAttachments { get; set; }

    public bool IsComplete => ReceivedAttachments == AttachmentCount;

    public bool IsBinary => Type is SocketPacketType.BinaryEvent or SocketPacketType.BinaryAck;
}
