using System.Buffers;
using Raven.SocketIO.Protocol;

namespace Raven.SocketIO.Adapter;

/// <summary>
/// Keeps the room memberships of one namespace and delivers broadcasts, in the shape of Node's
/// <c>socket.io-adapter</c>. <see cref="LocalAdapter"/> does everything in-process; a multi-server adapter
/// (e.g. Redis) derives from it, calls the base for the local part and forwards the rest to the other servers.
/// </summary>
public abstract class SocketIOAdapter
{
    protected SocketIOAdapter(SocketNamespace nsp)
    {
        Namespace = nsp;
    }

    /// <summary>The namespace this adapter serves.</summary>
    public SocketNamespace Namespace { get; }

    /// <summary>Called once when the namespace is created (e.g. to subscribe to channels).</summary>
    public virtual Task InitAsync() => Task.CompletedTask;

    /// <summary>Called when the server shuts down.</summary>
    public virtual Task CloseAsync() => Task.CompletedTask;

    /// <summary>Adds a local socket to rooms.</summary>
    public abstract void AddAll(string socketId, IReadOnlyCollection<string> rooms);

    /// <summary>Removes a local socket from a room.</summary>
    public abstract void Del(string socketId, string room);

    /// <summary>Removes a local socket from all its rooms.</summary>
    public abstract void DelAll(string socketId);

    /// <summary>The rooms of a local socket (a snapshot), or null if unknown.</summary>
    public abstract IReadOnlySet<string>? GetSocketRooms(string socketId);

    /// <summary>How many rooms a local socket is in (0 if unknown). Override when it can be had without a snapshot.</summary>
    public virtual int GetSocketRoomCount(string socketId) => GetSocketRooms(socketId)?.Count ?? 0;

    /// <summary>Whether a local socket is in a room. Override when it can be answered without a snapshot.</summary>
    public virtual bool IsInRoom(string socketId, string room) => GetSocketRooms(socketId)?.Contains(room) ?? false;

    /// <summary>The local socket ids in a room (a snapshot).</summary>
    public abstract IReadOnlySet<string> GetRoomMembers(string room);

    /// <summary>Queues an encoded packet on every targeted socket.</summary>
    public abstract void Broadcast(EncodedPacket packet, BroadcastOptions options);

    /// <summary>
    /// Like <see cref="Broadcast"/> for a packet carrying ack id <paramref name="ackId"/>: reports how many sockets
    /// were reached through <paramref name="clientCount"/> (possibly several calls) and each acknowledgement through <paramref name="ack"/>.
    /// </summary>
    public abstract void BroadcastWithAck(EncodedPacket packet, long ackId, BroadcastOptions options, Action<int> clientCount, Action<SocketIOArguments?> ack);

    /// <summary>The targeted sockets.</summary>
    public abstract Task<IReadOnlyList<RemoteSocket>> FetchSocketsAsync(BroadcastOptions options);

    /// <summary>Makes the targeted sockets join rooms.</summary>
    public abstract Task AddSocketsAsync(BroadcastOptions options, IReadOnlyCollection<string> rooms);

    /// <summary>Makes the targeted sockets leave rooms.</summary>
    public abstract Task DelSocketsAsync(BroadcastOptions options, IReadOnlyCollection<string> rooms);

    /// <summary>Disconnects the targeted sockets.</summary>
    public abstract Task DisconnectSocketsAsync(BroadcastOptions options, bool close);

    /// <summary>Sends an event (encoded as an EVENT packet of this namespace) to the other servers' namespace handlers.</summary>
    public abstract Task ServerSideEmitAsync(EncodedPacket packet);

    /// <summary>
    /// Like <see cref="ServerSideEmitAsync"/>, and collects one answer (an ACK packet's arguments) per other server;
    /// after <paramref name="timeout"/> (null: the adapter's own) throws <see cref="AckTimeoutException"/> with the answers so far.
    /// </summary>
    public abstract Task<IReadOnlyList<SocketIOArguments>> ServerSideEmitWithAckAsync(EncodedPacket packet, TimeSpan? timeout);

    /// <summary>How many servers share this adapter (1 for <see cref="LocalAdapter"/>).</summary>
    public abstract Task<int> ServerCountAsync();

    /// <summary>A fresh ack id of this namespace, for re-encoding a packet with acks that arrived from another server.</summary>
    protected long NextAckId() => Namespace.NextAckId();

    /// <summary>
    /// Encodes acknowledgement arguments as an ACK packet of this namespace, so a remote adapter can ship an
    /// answer received on this server back to the server that broadcast with acks.
    /// </summary>
    protected EncodedPacket EncodeAckResponse(long ackId, SocketIOArguments arguments)
        => SocketPacketWriter.EncodeAck(Namespace.Name, ackId, arguments.ToArray(), Namespace.Server.JsonOptions);

    /// <summary>Decodes an ACK packet made by <see cref="EncodeAckResponse"/> on another server; null if it is not one.</summary>
    protected SocketIOArguments? DecodeAckResponse(EncodedPacket packet)
    {
        if (!SocketPacketParser.TryParse(new ReadOnlySequence<byte>(packet.Text), out var parsed)
            || parsed.Type is not (SocketPacketType.Ack or SocketPacketType.BinaryAck)
            || parsed.AttachmentCount != packet.Attachments.Count)
        {
            return null;
        }

        for (var i = 0; i < packet.Attachments.Count; i++)
        {
            parsed.Attachments[i] = packet.Attachments[i];
        }

        parsed.ReceivedAttachments = parsed.AttachmentCount;
        return new SocketIOArguments(parsed, Namespace.Server.JsonOptions);
    }

    /// <summary>
    /// Delivers an event that another server sent with <c>ServerSideEmit</c> to this namespace's handlers. When that
    /// server waits for an answer, <paramref name="reply"/> receives it once, as an ACK packet of this namespace.
    /// </summary>
    /// <returns>False if the bytes are not a valid EVENT packet.</returns>
    protected bool DispatchServerSideEvent(EncodedPacket packet, Action<EncodedPacket>? reply = null)
    {
        if (!SocketPacketParser.TryParse(new ReadOnlySequence<byte>(packet.Text), out var parsed)
            || parsed.EventName is null
            || parsed.AttachmentCount != packet.Attachments.Count)
        {
            return false;
        }

        for (var i = 0; i < packet.Attachments.Count; i++)
        {
            parsed.Attachments[i] = packet.Attachments[i];
        }

        parsed.ReceivedAttachments = parsed.AttachmentCount;
        Namespace.DispatchServerSideEvent(parsed, reply);
        return true;
    }
}
