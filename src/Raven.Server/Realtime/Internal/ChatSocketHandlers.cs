using System.Text.Json;
using Microsoft.Extensions.Options;
using Raven.Chat;
using Raven.Server.Auth;
using Raven.Server.Internal;
using Raven.SocketIO;

namespace Raven.Server.Realtime.Internal;

/// <summary>
/// The chat's Socket.IO side: the handshake authentication middleware, the per-socket event handlers
/// (join/leave/send/heartbeat) and presence announcements.
/// </summary>
/// <remarks>
/// Replies: without an acknowledgement callback, failures are <c>error</c> events as in the seed. With one, the
/// outcome goes only to the callback (<c>{ok:true,data}</c> or <c>{ok:false,error:{code,message}}</c>) and no
/// <c>error</c> event is emitted, so a client never handles one failure twice. Success events that other parts of a
/// client listen to (<c>joined_conversation</c>, <c>left_conversation</c>, <c>new_message</c>) are sent either way.
/// </remarks>
internal sealed class ChatSocketHandlers(
    SocketIOServer io,
    AccessTokenValidator tokens,
    IChatService chat,
    IPresenceTracker presence,
    SocketChatNotifier notifier,
    MembershipGate membership,
    SocketAbuseGuard guard,
    HandshakeTokens handshakeTokens,
    IOptions<RavenServerOptions> options,
    TimeProvider time,
    ILogger<ChatSocketHandlers> logger)
{
    // The validation's clock skew (JwtKeys): a token is accepted until exp plus this.
    private static readonly TimeSpan JwtClockSkew = Auth.Internal.JwtKeys.ClockSkew;

    private readonly bool _presenceToFriendsOnly = options.Value.PresenceAudience == PresenceAudience.Friends;

    // Built once and shared by every socket: registering handlers then allocates nothing per connection.
    private Func<SocketIOEvent, Task>? _onJoin, _onLeave, _onSend, _onHeartbeat;
    private Func<SocketIOSocket, string, Task>? _onDisconnected;

    /// <summary>Namespace middleware: token from <c>auth.token</c>, else the <c>accessToken</c> cookie, else a Bearer header.</summary>
    public async Task AuthenticateAsync(SocketIOSocket socket, Func<Task> next)
    {
        var (token, preset) = handshakeTokens.Find(socket);
        var result = preset ?? await tokens.ValidateAsync(token);
        if (!result.Success)
        {
            var code = result.ErrorCode ?? RealtimeEvents.InvalidToken;
            RealtimeLog.ConnectRefused(logger, socket.Id, code);
            // The client's err.message is the bare code (what the seed's handlers switch on); data has the details.
            throw new ConnectErrorException(code, new ErrorPayload(code, result.ErrorMessage ?? code, null));
        }

        if (!guard.MayConnect(result.UserId!))
        {
            const string Code = RealtimeEvents.TooManySockets;
            RealtimeLog.ConnectRefused(logger, socket.Id, Code);
            throw new ConnectErrorException(Code, new ErrorPayload(
                Code, $"You have too many open connections (at most {options.Value.MaxSocketsPerUser}); close a tab or device and retry.", null));
        }

        socket.Data = new SocketUser(result.UserId!, result.Username ?? string.Empty, result.Email)
        {
            SessionId = result.SessionId,
            ExpiresAt = result.ExpiresAt,
        };
        await next();
    }

    /// <summary>Connection handler: user room, event handlers, presence.</summary>
    public async Task OnConnectedAsync(SocketIOSocket socket)
    {
        if (socket.Data is not SocketUser user)
        {
            socket.Disconnect();
            return;
        }

        user.Events = guard.Connected(user.UserId);
        socket.Join(user.SessionId is null ? [RealtimeRooms.User(user.UserId)] : [RealtimeRooms.User(user.UserId), RealtimeRooms.Session(user.SessionId)]);
        if (user.ExpiresAt is { } expires)
        {
            // The token is checked at connect only, so the socket must not outlive it: at exp (plus the validation's
            // clock skew, so a reconnect with the same token is refused as TOKEN_EXPIRED) it is disconnected.
            var due = expires + JwtClockSkew - time.GetUtcNow();
            user.ExpiryTimer = time.CreateTimer(static state => ExpireSocket((SocketIOSocket)state!), socket, due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
        }

        socket.On(RealtimeEvents.JoinConversation, _onJoin ??= e => DispatchAsync(e, ClientEvent.Join));
        socket.On(RealtimeEvents.LeaveConversation, _onLeave ??= e => DispatchAsync(e, ClientEvent.Leave));
        socket.On(RealtimeEvents.SendMessage, _onSend ??= e => DispatchAsync(e, ClientEvent.Send));
        socket.On(RealtimeEvents.Heartbeat, _onHeartbeat ??= e => DispatchAsync(e, ClientEvent.Heartbeat));
        socket.OnDisconnected(_onDisconnected ??= OnDisconnectedAsync);

        var first = await presence.SocketConnectedAsync(user.UserId, socket.Id, time.GetUtcNow());
        RealtimeLog.SocketConnected(logger, socket.Id, user.UserId, first);
        if (first)
        {
            await AnnounceAsync(user.UserId, online: true);
        }
    }

    private async Task OnDisconnectedAsync(SocketIOSocket socket, string reason)
    {
        if (socket.Data is not SocketUser user)
        {
            return;
        }

        user.ExpiryTimer?.Dispose();
        guard.Disconnected(user.UserId);

        var last = await presence.SocketDisconnectedAsync(user.UserId, socket.Id, time.GetUtcNow());
        RealtimeLog.SocketDisconnected(logger, socket.Id, user.UserId, reason, last);
        if (last)
        {
            await AnnounceAsync(user.UserId, online: false);
        }
    }

    private async Task JoinAsync(SocketIOEvent e, SocketUser user)
    {
        var payload = ClientPayload.Read(e);
        if (!TryGetConversationId(payload, out var conversationId, out var problem))
        {
            Fail(e, RealtimeEvents.JoinFailed, "Failed to join conversation", problem);
            return;
        }

        var socket = e.Socket;
        var room = RealtimeRooms.Conversation(conversationId);
        bool alreadyIn;
        // Held from the membership check until the socket is in the room: an eviction (MembershipEnded) of this user
        // from this conversation waits for it, so a removal that committed after the check still takes the socket out
        // before the removal returns, and no message sent after the removal reaches it.
        using (await membership.EnterAsync(conversationId, user.UserId))
        {
            try
            {
                await chat.EnsureParticipantAsync(user.UserId, conversationId);
            }
            catch (ChatException ex)
            {
                if (ex.Kind == ChatErrorKind.PermissionDenied)
                {
                    Fail(e, RealtimeEvents.PermissionDenied, "You are not a participant of this conversation", ex.Message);
                }
                else
                {
                    Fail(e, RealtimeEvents.JoinFailed, "Failed to join conversation", ex.Message);
                }

                return;
            }

            alreadyIn = socket.IsIn(room);
            if (!socket.Join(room))
            {
                Fail(e, RealtimeEvents.JoinFailed, "Failed to join conversation", "this connection is in too many conversations");
                return;
            }

            // The gate orders join and eviction on this node only; an eviction from another node (Redis scale-out)
            // does not wait for it. Checking again once the socket is in the room covers that case: a removal that
            // committed before this check is seen here, one after it evicts this socket, which is in the room by then.
            if (!await StillParticipantAsync(user.UserId, conversationId))
            {
                socket.Leave(room);
                Fail(e, RealtimeEvents.PermissionDenied, "You are not a participant of this conversation", "removed while joining");
                return;
            }
        }

        var joined = new MembershipPayload(conversationId, user.UserId, user.Username);
        socket.Emit(RealtimeEvents.JoinedConversation, joined);
        if (!alreadyIn)
        {
            socket.To(room).Emit(RealtimeEvents.UserJoined, joined);
        }

        e.Ack(AckPayload.Success(joined));
    }

    private async Task<bool> StillParticipantAsync(string userId, string conversationId)
    {
        try
        {
            await chat.EnsureParticipantAsync(userId, conversationId);
            return true;
        }
        catch (ChatException)
        {
            return false;
        }
    }

    private static void ExpireSocket(SocketIOSocket socket)
    {
        socket.Emit(RealtimeEvents.Error, new ErrorPayload(RealtimeEvents.TokenExpired, "The access token has expired; reconnect with a fresh one.", null));
        socket.Disconnect();
    }

    private Task LeaveAsync(SocketIOEvent e, SocketUser user)
    {
        var payload = ClientPayload.Read(e);
        if (!TryGetConversationId(payload, out var conversationId, out var problem))
        {
            Fail(e, RealtimeEvents.LeaveFailed, "Failed to leave conversation", problem);
            return Task.CompletedTask;
        }

        var socket = e.Socket;
        var room = RealtimeRooms.Conversation(conversationId);
        var wasIn = socket.Rooms.Contains(room);
        socket.Leave(room);
        var left = new MembershipPayload(conversationId, user.UserId, user.Username);
        // The web client waits for left_conversation before joining the next conversation, so it always comes.
        socket.Emit(RealtimeEvents.LeftConversation, left);
        if (wasIn)
        {
            // Only a socket that was admitted to the room may tell its members it left.
            socket.To(room).Emit(RealtimeEvents.UserLeft, left);
        }

        e.Ack(AckPayload.Success(left));
        return Task.CompletedTask;
    }

    private async Task SendAsync(SocketIOEvent e, SocketUser user)
    {
        const string Failed = "Failed to send message";
        var payload = ClientPayload.Read(e);
        if (!TryGetConversationId(payload, out var conversationId, out var problem))
        {
            Fail(e, RealtimeEvents.SendMessageFailed, Failed, problem);
            return;
        }

        var typeProblem = BadContentField(payload.Text, "text") ?? BadContentField(payload.Url, "url") ?? BadContentField(payload.FileName, "fileName");
        if (typeProblem is not null)
        {
            Fail(e, RealtimeEvents.SendMessageFailed, Failed, typeProblem);
            return;
        }

        Message message;
        try
        {
            // The service validates content (at least one of text/url/fileName, MAX_MESSAGE_LENGTH) and membership,
            // and the message is stored before anyone hears of it.
            message = await chat.SendMessageAsync(user.UserId, conversationId, new NewMessage(payload.Text.Value, payload.Url.Value, payload.FileName.Value));
        }
        catch (ChatException ex)
        {
            if (ex.Kind == ChatErrorKind.PermissionDenied)
            {
                Fail(e, RealtimeEvents.PermissionDenied, "You are not a participant of this conversation", ex.Message);
            }
            else
            {
                Fail(e, RealtimeEvents.SendMessageFailed, Failed, ex.Message);
            }

            return;
        }

        try
        {
            await notifier.MessageCreatedAsync(message, e.Socket.Id);
        }
        catch (Exception ex)
        {
            // The message is stored: reporting a failure now would make the client send it twice.
            RealtimeLog.BroadcastFailed(logger, message.Id, ex);
        }

        e.Ack(AckPayload.Success(NewMessagePayload.From(message)));
    }

    private async Task HeartbeatAsync(SocketIOEvent e, SocketUser user)
    {
        // The payload ({timestamp}) is informational only; the server's clock decides last-seen.
        var now = time.GetUtcNow();
        await presence.TouchAsync(user.UserId, now);
        e.Ack(AckPayload.Success(new HeartbeatPayload(user.UserId, "online", UtcDateTimeOffsetConverter.ToIso(now))));
    }

    internal async Task AnnounceAsync(string userId, bool online)
    {
        try
        {
            IReadOnlyList<string> contacts = _presenceToFriendsOnly
                ? [.. (await chat.ListFriendsAsync(userId)).Select(f => f.FriendId)]
                : await chat.GetContactIdsAsync(userId);
            // A quick reconnect or close may have overtaken the lookup above; announce only what is still true.
            if (contacts.Count == 0 || presence.IsOnline(userId) != online)
            {
                return;
            }

            var rooms = new string[contacts.Count];
            for (var i = 0; i < rooms.Length; i++)
            {
                rooms[i] = RealtimeRooms.User(contacts[i]);
            }

            var status = new StatusPayload(userId, online ? "online" : "offline", UtcDateTimeOffsetConverter.ToIso(time.GetUtcNow()));
            io.To(rooms).Emit(RealtimeEvents.FriendStatusChanged, status);
        }
        catch (Exception ex)
        {
            RealtimeLog.PresenceBroadcastFailed(logger, userId, ex);
        }
    }

    private async Task DispatchAsync(SocketIOEvent e, ClientEvent kind)
    {
        if (e.Socket.Data is not SocketUser user)
        {
            return;
        }

        if (user.ExpiresAt + JwtClockSkew <= time.GetUtcNow())
        {
            ExpireSocket(e.Socket);
            return;
        }

        if (!guard.TryAdmit(user))
        {
            Fail(e, RealtimeEvents.RateLimited, "Too many events; slow down", null);
            if (Interlocked.Increment(ref user.Strikes) >= guard.DisconnectAfter)
            {
                RealtimeLog.RateLimitDisconnect(logger, e.Socket.Id, user.UserId);
                // close: the transport too. A namespace-only disconnect leaves the connection open, and the abuser
                // keeps being read (or sends CONNECT again, costing a token check and a user lookup each time).
                e.Socket.Disconnect(close: true);
            }

            return;
        }

        Volatile.Write(ref user.Strikes, 0);
        try
        {
            switch (kind)
            {
                case ClientEvent.Join:
                    await JoinAsync(e, user);
                    break;
                case ClientEvent.Leave:
                    await LeaveAsync(e, user);
                    break;
                case ClientEvent.Send:
                    await SendAsync(e, user);
                    break;
                default:
                    await HeartbeatAsync(e, user);
                    break;
            }
        }
        catch (Exception ex)
        {
            // Unexpected (e.g. the database is down): the client still gets an answer, never a silent drop.
            RealtimeLog.HandlerFailed(logger, e.Name, e.Socket.Id, ex);
            var code = kind switch
            {
                ClientEvent.Join => RealtimeEvents.JoinFailed,
                ClientEvent.Leave => RealtimeEvents.LeaveFailed,
                ClientEvent.Send => RealtimeEvents.SendMessageFailed,
                _ => RealtimeEvents.InternalError,
            };
            Fail(e, code, "The server could not handle the request", null);
        }
    }

    private static void Fail(SocketIOEvent e, string code, string message, string? details)
    {
        var error = new ErrorPayload(code, details is null ? message : $"{message}: {details}", details);
        if (e.HasAck)
        {
            e.Ack(AckPayload.Failure(error));
        }
        else
        {
            e.Socket.Emit(RealtimeEvents.Error, error);
        }
    }

    private static bool TryGetConversationId(in ClientPayload payload, out string conversationId, out string problem)
    {
        conversationId = string.Empty;
        if (payload.NotAnObject is { } shape)
        {
            problem = $"payload must be an object with conversation_id (got {shape})";
            return false;
        }

        var field = payload.ConversationId;
        switch (field.Kind)
        {
            case FieldKind.Missing or FieldKind.Null:
                problem = "conversation_id is required";
                return false;
            case FieldKind.Other:
                problem = $"conversation_id must be a string (got {field.Value})";
                return false;
        }

        if (!ObjectIds.IsValid(field.Value))
        {
            problem = "conversation_id is not a valid id";
            return false;
        }

        conversationId = field.Value;
        problem = string.Empty;
        return true;
    }

    private static string? BadContentField(Field field, string name) =>
        field.Kind == FieldKind.Other ? $"{name} must be a string or null (got {field.Value})" : null;
}

internal enum ClientEvent
{
    Join,
    Leave,
    Send,
    Heartbeat,
}
