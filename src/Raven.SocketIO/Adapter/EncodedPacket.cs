using Raven.EngineIO;

namespace Raven.SocketIO.Adapter;

/// <summary>
/// A Socket.IO packet encoded once: the text part (without the Engine.IO <c>4</c>) and its binary attachments.
/// Adapters fan the same instance out to every recipient; a remote adapter can ship <see cref="Text"/> and
/// <see cref="Attachments"/> as they are and rebuild the packet on the other node with the public constructor.
/// </summary>
public sealed class EncodedPacket
{
    private readonly EngineMessage[] _messages;

    /// <summary>Wraps already encoded bytes. The memory must not change afterwards.</summary>
    public EncodedPacket(ReadOnlyMemory<byte> text, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
        : this(EngineMessage.Text(text), text, attachments)
    {
    }

    private EncodedPacket(EngineMessage first, ReadOnlyMemory<byte> text, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        Text = text;
        Attachments = attachments;
        _messages = new EngineMessage[1 + attachments.Count];
        _messages[0] = first;
        for (var i = 0; i < attachments.Count; i++)
        {
            _messages[i + 1] = EngineMessage.Binary(attachments[i]);
        }
    }

    /// <summary>
    /// The encoder's form: <paramref name="prefixed"/> starts with the Engine.IO message type <c>4</c>, written there
    /// once, so no transport copies the packet to put it in front.
    /// </summary>
    internal static EncodedPacket FromPrefixed(byte[] prefixed, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
        => new(EngineMessage.PrefixedText(prefixed), prefixed.AsMemory(1), attachments);

    /// <summary>The Socket.IO packet text as UTF-8, e.g. <c>2/chat,["hello",1]</c>.</summary>
    public ReadOnlyMemory<byte> Text { get; }

    /// <summary>The binary frames that follow the text part, in placeholder order.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Attachments { get; }

    /// <summary>The packet type, from the first byte of <see cref="Text"/>.</summary>
    internal Protocol.SocketPacketType Type => Text.IsEmpty ? Protocol.SocketPacketType.Event : (Protocol.SocketPacketType)(Text.Span[0] - '0');

    /// <summary>The Engine.IO messages to queue, shared by every recipient.</summary>
    internal ReadOnlySpan<EngineMessage> Messages => _messages;

    /// <inheritdoc/>
    public override string ToString() => System.Text.Encoding.UTF8.GetString(Text.Span);
}
