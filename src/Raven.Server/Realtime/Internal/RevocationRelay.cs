using Raven.Server.Auth.Internal;
using Raven.SocketIO;

namespace Raven.Server.Realtime.Internal;

/// <summary>
/// Passes every sign-out and password-change revocation to the other nodes as a server-side emit, so an access token
/// revoked on one node is refused on all of them. The emit is published before the sockets' disconnect request on the
/// same Redis connection and channel, so a node has the revocation before it drops the sockets, and their reconnect
/// with the old token is refused there too. Without a multi-node adapter the emit goes nowhere.
/// </summary>
internal sealed class RevocationRelay(SocketIOServer io, SessionRevocations revocations)
{
    private const string EventName = "raven:tokens-revoked";

    public void Start()
    {
        io.Sockets.OnServerSideEmit(EventName, e =>
        {
            revocations.Apply(new Revocation(
                e.Get<string>(0),
                e.Get<string>(1),
                DateTimeOffset.FromUnixTimeMilliseconds(e.Get<long>(2)),
                e.Get<string>(3)));
            return Task.CompletedTask;
        });
        revocations.Recorded += r =>
            _ = io.ServerSideEmitAsync(EventName, r.SessionId, r.UserId, r.NotBefore.ToUnixTimeMilliseconds(), r.ExceptSessionId);
    }
}
