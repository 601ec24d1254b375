using System.Buffers;
using System.Text;
using System.Text.Json;
using Raven.SocketIO.Adapter;
using Raven.SocketIO.Redis.Internal;
using StackExchange.Redis;

namespace Raven.SocketIO.Redis;

/// <summary>The receiving half: broadcasts, requests and responses other servers published.</summary>
public sealed partial class RedisAdapter
{
    private void OnBroadcast(ChannelMessage message)
    {
        var room = _channels.RoomOf(message.Channel.ToString());
        // A single-room broadcast for a room nobody here is in: skip it without decoding.
        if (room is null || (room.Length > 0 && GetRoomMembers(room).Count == 0))
        {
            return;
        }

        ReadOnlyMemory<byte> payload = (byte[])message.Message!;
        if (!RedisMessageReader.TryReadBroadcast(payload.Span, _uidUtf8, Namespace.Name, out var broadcast))
        {
            return;
        }

        var packet = SocketPacketText.Build(SocketPacketText.Event, Namespace.Name, -1, broadcast!.Json, broadcast.Attachments);
        base.Broadcast(packet, broadcast.Options);
    }

    private void OnRequest(ChannelMessage message)
    {
        using var document = RedisMessageReader.ReadEnvelope((byte[])message.Message!, out var attachments);
        var request = document.RootElement;
        if (request.ValueKind != JsonValueKind.Object || !request.TryGetProperty("type", out var typeValue) || !typeValue.TryGetInt32(out var type))
        {
            throw new FormatException("A request has no type.");
        }

        var uid = RedisMessageReader.String(request, "uid");
        var requestId = RedisMessageReader.String(request, "requestId");
        var target = request.TryGetProperty("opts", out var opts) ? RedisMessageReader.ReadTarget(opts, new BroadcastFlags { Local = true }) : null;
        switch ((RedisRequestType)type)
        {
            case RedisRequestType.Sockets when requestId is not null && !_fetches.ContainsKey(requestId):
                var rooms = RedisMessageReader.Strings(request, "rooms");
                var sockets = base.FetchSocketsAsync(new BroadcastOptions(rooms, [], new BroadcastFlags { Local = true })).GetAwaiter().GetResult();
                Respond(uid, RedisMessageWriter.Json(null, null, requestId, json => RedisMessageWriter.WriteStrings(json, "sockets", sockets.Select(s => s.Id))));
                break;
            case RedisRequestType.AllRooms when requestId is not null:
                Respond(uid, RedisMessageWriter.Json(null, null, requestId, json => RedisMessageWriter.WriteStrings(json, "rooms", GetRooms())));
                break;
            case RedisRequestType.RemoteJoin when uid != Uid:
                if (target is not null)
                {
                    base.AddSocketsAsync(target, RedisMessageReader.Strings(request, "rooms"));
                }
                else
                {
                    OnSingleSocket(request, uid, requestId, (socket, room) => socket.Join(room));
                }

                break;
            case RedisRequestType.RemoteLeave when uid != Uid:
                if (target is not null)
                {
                    base.DelSocketsAsync(target, RedisMessageReader.Strings(request, "rooms"));
                }
                else
                {
                    OnSingleSocket(request, uid, requestId, (socket, room) => socket.Leave(room));
                }

                break;
            case RedisRequestType.RemoteDisconnect when uid != Uid:
                var close = request.TryGetProperty("close", out var c) && c.ValueKind == JsonValueKind.True;
                if (target is not null)
                {
                    base.DisconnectSocketsAsync(target, close);
                }
                else
                {
                    OnSingleSocket(request, uid, requestId, (socket, _) => socket.Disconnect(close));
                }

                break;
            case RedisRequestType.RemoteFetch when requestId is not null && target is not null && !_fetches.ContainsKey(requestId):
                var local = base.FetchSocketsAsync(target).GetAwaiter().GetResult();
                Respond(uid, RedisMessageWriter.Json(null, null, requestId, json =>
                {
                    json.WriteStartArray("sockets");
                    foreach (var socket in local)
                    {
                        RedisMessageWriter.WriteSocket(json, socket, _json);
                    }

                    json.WriteEndArray();
                }));
                break;
            case RedisRequestType.ServerSideEmit when uid != Uid && request.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array:
                // With a requestId the sender waits for one answer from this server; like Node it goes to the common response channel.
                DispatchServerSideEvent(
                    SocketPacketText.Build(SocketPacketText.Event, Namespace.Name, -1, Encoding.UTF8.GetBytes(data.GetRawText()), []),
                    requestId is null ? null : answer => _connection.Publish(_channels.Response, RedisMessageWriter.ServerSideEmitAck(requestId, answer)));
                break;
            case RedisRequestType.Broadcast when requestId is not null && target is not null && !_ackRequests.ContainsKey(requestId):
                OnBroadcastWithAck(request, uid, requestId, target, attachments);
                break;
        }
    }

    private void OnBroadcastWithAck(JsonElement request, string? uid, string requestId, BroadcastOptions target, List<ReadOnlyMemory<byte>> attachments)
    {
        if (!request.TryGetProperty("packet", out var packet) || !packet.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("A broadcast request has no packet data.");
        }

        // The ack id is this server's own: the sender's id means nothing to the sockets here.
        var ackId = NextAckId();
        var encoded = SocketPacketText.Build(SocketPacketText.Event, Namespace.Name, ackId, Encoding.UTF8.GetBytes(data.GetRawText()), attachments);
        base.BroadcastWithAck(
            encoded,
            ackId,
            target,
            count => Respond(uid, RedisMessageWriter.Json(RedisRequestType.BroadcastClientCount, null, requestId, json => json.WriteNumber("clientCount", count))),
            arguments =>
            {
                if (arguments is not null)
                {
                    Respond(uid, RedisMessageWriter.BroadcastAck(requestId, EncodeAckResponse(0, arguments)));
                }
            });
    }

    private void OnSingleSocket(JsonElement request, string? uid, string? requestId, Action<SocketIOSocket, string> action)
    {
        var sid = RedisMessageReader.String(request, "sid");
        if (sid is null || !Namespace.Sockets.TryGetValue(sid, out var socket))
        {
            return;
        }

        action(socket, RedisMessageReader.String(request, "room") ?? string.Empty);
        if (requestId is not null)
        {
            Respond(uid, RedisMessageWriter.Json(null, null, requestId));
        }
    }

    private void Respond(string? requesterUid, byte[] response) =>
        _connection.Publish(_options.PublishOnSpecificResponseChannel && requesterUid is not null ? _channels.ResponseFor(requesterUid) : _channels.Response, response);

    private void OnResponse(ChannelMessage message)
    {
        using var document = RedisMessageReader.ReadEnvelope((byte[])message.Message!, out var attachments);
        var response = document.RootElement;
        var requestId = response.ValueKind == JsonValueKind.Object ? RedisMessageReader.String(response, "requestId") : null;
        if (requestId is null)
        {
            return;
        }

        if (_ackRequests.TryGetValue(requestId, out var ackRequest))
        {
            var type = response.TryGetProperty("type", out var t) && t.TryGetInt32(out var value) ? (RedisRequestType)value : (RedisRequestType)(-1);
            if (type == RedisRequestType.BroadcastClientCount && response.TryGetProperty("clientCount", out var count) && count.TryGetInt32(out var clients))
            {
                ackRequest.OnClientCount(clients);
            }
            else if (type == RedisRequestType.BroadcastAck)
            {
                ackRequest.OnAck(DecodeRemoteAck(response, "packet", attachments));
            }

            return;
        }

        if (_serverSideAcks.TryGetValue(requestId, out var serverSideAck))
        {
            serverSideAck.Add([DecodeRemoteAck(response, "data", attachments) ?? throw new FormatException("A server-side emit answer is not valid JSON.")]);
            return;
        }

        if (_fetches.TryGetValue(requestId, out var fetch)
            && response.TryGetProperty("sockets", out var sockets)
            && sockets.ValueKind == JsonValueKind.Array)
        {
            fetch.Add(sockets.EnumerateArray().Select(s => RedisMessageReader.ReadSocket(Namespace, s)).ToArray());
        }
    }

    /// <summary>
    /// The one value another server answered with (a BROADCAST_ACK's <c>packet</c>, a server-side emit answer's <c>data</c>)
    /// as acknowledgement arguments; no such property means no arguments.
    /// </summary>
    private SocketIOArguments? DecodeRemoteAck(JsonElement response, string property, List<ReadOnlyMemory<byte>> attachments)
    {
        var buffer = new ArrayBufferWriter<byte>();
        buffer.Write("["u8);
        if (response.TryGetProperty(property, out var value))
        {
            buffer.Write(Encoding.UTF8.GetBytes(value.GetRawText()));
        }

        buffer.Write("]"u8);
        return DecodeAckResponse(SocketPacketText.Build(SocketPacketText.Ack, Namespace.Name, 0, buffer.WrittenSpan, attachments));
    }
}
