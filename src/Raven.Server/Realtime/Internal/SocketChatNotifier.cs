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
        List<string> rooms;
        if (_scope == MessageScope.Participants)
        {
            // Offline participants have empty rooms, so no presence lookup is needed (and none that could go stale).
            var participants = await chat.GetParticipantIdsAsync(conversationId);
            rooms = new List<string>(participants.Count + 1);
            foreach (var id in participants)
            {
                rooms.Add(RealtimeRooms.User(id));
            }
        }
        else
        {
            rooms = [RealtimeRooms.Conversation(conversationId)];
        }

        if (senderSocketId is not null)
        {
            rooms.Add(senderSocketId);
        }

        // An empty room list would mean "every socket": never let a conversation without participants fan out to all.
        if (rooms.Count == 0)
        {
            return;
        }

        io.To(rooms).Emit(eventName, payload);
    }
}
