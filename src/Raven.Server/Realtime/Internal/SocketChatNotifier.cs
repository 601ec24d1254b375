using Microsoft.Extensions.Options;
using Raven.Chat;
using Raven.SocketIO;

namespace Raven.Server.Realtime.Internal;

/// <summary>
/// Delivers message events for both transports (REST and Socket.IO), so a message reaches sockets the same way
/// whichever way it was sent. Each event is one broadcast: encoded once, queued on every target socket.
/// </summary>
internal sealed class SocketChatNotifier(SocketIOServer io, IChatService chat, IOptions<RavenServerOptions> options) : IChatNotifier
{
    private readonly MessageScope _scope = options.Value.MessageScope;

    public Task MessageCreated(Message message) => MessageCreatedAsync(message, senderSocketId: null);

    public Task MessageDeleted(Message message) =>
        BroadcastAsync(RealtimeEvents.MessageDeleted, message.ConversationId, new MessageDeletedPayload(message.Id, message.ConversationId), null);

    /// <summary>
    /// Like <see cref="MessageCreated"/>; <paramref name="senderSocketId"/> also receives the message even if it never
    /// joined the room (the seed promises the sender its confirmation).
    /// </summary>
    public Task MessageCreatedAsync(Message message, string? senderSocketId) =>
        BroadcastAsync(RealtimeEvents.NewMessage, message.ConversationId, NewMessagePayload.From(message), senderSocketId);

    private async Task BroadcastAsync(string eventName, string conversationId, object payload, string? senderSocketId)
    {
        var target = _scope == MessageScope.Participants
            ? await ParticipantsTargetAsync(conversationId)
            : await RoomTargetAsync(conversationId);
        if (senderSocketId is not null)
        {
            target = target is null ? io.To(senderSocketId) : target.To(senderSocketId);
        }

        // Null means nobody to reach. (An operator without rooms would mean "every socket": never build one here.)
        target?.Emit(eventName, payload);
    }

    private async Task<BroadcastOperator?> ParticipantsTargetAsync(string conversationId)
    {
        // Offline participants have empty rooms, so no presence lookup is needed (and none that could go stale).
        var participants = await ParticipantsAsync(conversationId);
        if (participants.Count == 0)
        {
            return null;
        }

        var rooms = new string[participants.Count];
        for (var i = 0; i < rooms.Length; i++)
        {
            rooms[i] = RealtimeRooms.User(participants[i]);
        }

        return io.To(rooms);
    }

    private async Task<BroadcastOperator?> RoomTargetAsync(string conversationId)
    {
        var room = RealtimeRooms.Conversation(conversationId);
        var nsp = io.Sockets;
        var members = nsp.Adapter.GetRoomMembers(room);
        if (members.Count == 0)
        {
            return null;
        }

        // Membership was checked at join time, but a user removed from the conversation since (REST) may still
        // have sockets in its room: drop them from the room and from this broadcast.
        var participants = await ParticipantsAsync(conversationId);
        List<string>? strangers = null;
        foreach (var socketId in members)
        {
            if (nsp.Sockets.TryGetValue(socketId, out var socket) && socket.Data is SocketUser user && !Contains(participants, user.UserId))
            {
                socket.Leave(room);
                (strangers ??= []).Add(socketId);
            }
        }

        var target = io.To(room);
        return strangers is null ? target : target.Except(strangers);
    }

    private async Task<IReadOnlyList<string>> ParticipantsAsync(string conversationId)
    {
        try
        {
            return await chat.GetParticipantIdsAsync(conversationId);
        }
        catch (ChatException ex) when (ex.Kind == ChatErrorKind.NotFound)
        {
            // Deleted meanwhile: nobody is entitled to hear about it any more.
            return [];
        }
    }

    private static bool Contains(IReadOnlyList<string> ids, string id)
    {
        foreach (var candidate in ids)
        {
            if (string.Equals(candidate, id, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
