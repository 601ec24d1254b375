using StackExchange.Redis;

namespace Raven.SocketIO.Redis;

/// <summary>Settings of <see cref="RedisAdapter"/>. Defaults match <c>@socket.io/redis-adapter</c>.</summary>
public sealed class RedisAdapterOptions
{
    /// <summary>
    /// Where Redis is: a <c>redis://[user:password@]host:port[/db]</c> URL (<c>rediss://</c> for TLS) or a
    /// StackExchange.Redis configuration string (<c>host:port,password=...</c>). Ignored when <see cref="ConnectionFactory"/> is set.
    /// </summary>
    public string? Configuration { get; set; }

    /// <summary>Supplies the connection (e.g. one the application shares with other Redis users). The adapter does not dispose it.</summary>
    public Func<IServiceProvider, IConnectionMultiplexer>? ConnectionFactory { get; set; }

    /// <summary>Channel prefix; must be the same on every server of the cluster. Default <c>socket.io</c>.</summary>
    public string Key { get; set; } = "socket.io";

    /// <summary>How long a request to the other servers (fetch sockets, broadcast acks) waits for answers. Default 5 s.</summary>
    public TimeSpan RequestsTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Answer on the requester's own response channel instead of the shared one (as the Node option of that name).</summary>
    public bool PublishOnSpecificResponseChannel { get; set; }
}
