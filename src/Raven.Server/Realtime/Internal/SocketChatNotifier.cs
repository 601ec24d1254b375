using Microsoft.Extensions.Options;
using Raven.Chat;
using Raven.SocketIO;

namespace Raven.Server.Realtime.Internal;

/// <summary>
/// Delivers message events for both transports (REST and Socket.IO), so a message reaches sockets the same way
/// whichever way it was sent. Each event is one broadcast: encoded once, queued on every target socket.
/// </summary>
internal sealed class SocketChatNotifier(SocketIOServer io, IChatService chat, MembershipGate membership, IOptions<RavenServerOptions> options) : IChatNotifier
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

        return io.To(UserRooms(participants));
    }

    // Sockets of users who stopped being participants are taken out of the room when that happens
    // (MembershipEnded), so the room itself is the audience: no store read per message.
    private Task<BroadcastOperator?> RoomTargetAsync(string conversationId) =>
        Task.FromResult<BroadcastOperator?>(io.To(RealtimeRooms.Conversation(conversationId)));

    public async Task MembershipEnded(string conversationId, IReadOnlyList<string> userIds)
    {
        if (userIds.Count == 0)
        {
            return;
        }

        // Waits for joins of these users that checked their membership before the removal committed (see
        // MembershipGate), so their sockets are in the room by now and leave with the others.
        using (await membership.EnterAllAsync(conversationId, userIds))
        {
            await io.To(UserRooms(userIds)).SocketsLeaveAsync(RealtimeRooms.Conversation(conversationId));
        }
    }

    public Task SessionEnded(string userId, string? sessionId) =>
        io.To(sessionId is null ? RealtimeRooms.User(userId) : RealtimeRooms.Session(sessionId)).DisconnectSocketsAsync();

    public Task UserSessionsEnded(string userId, string? exceptSessionId)
    {
        var target = io.To(RealtimeRooms.User(userId));
        return (exceptSessionId is null ? target : target.Except(RealtimeRooms.Session(exceptSessionId))).DisconnectSocketsAsync();
    }

    private static string[] UserRooms(IReadOnlyList<string> userIds)
    {
        var rooms = new string[userIds.Count];
        for (var i = 0; i < rooms.Length; i++)
        {
            rooms[i] = RealtimeRooms.User(userIds[i]);
        }

        return rooms;
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
}
