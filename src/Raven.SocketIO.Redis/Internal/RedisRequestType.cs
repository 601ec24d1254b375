namespace Raven.SocketIO.Redis.Internal;

/// <summary>The <c>type</c> of a request or response between servers (the numbers of <c>@socket.io/redis-adapter</c>).</summary>
internal enum RedisRequestType
{
    Sockets = 0,
    AllRooms = 1,
    RemoteJoin = 2,
    RemoteLeave = 3,
    RemoteDisconnect = 4,
    RemoteFetch = 5,
    ServerSideEmit = 6,
    Broadcast = 7,
    BroadcastClientCount = 8,
    BroadcastAck = 9,
}
