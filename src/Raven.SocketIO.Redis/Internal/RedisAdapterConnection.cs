using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Raven.SocketIO.Redis.Internal;

/// <summary>
/// The one Redis connection all namespaces' adapters share (StackExchange.Redis keeps a command and a subscription
/// socket under it and resubscribes by itself after a reconnect). It reports an outage once when it starts and once
/// when it ends, however many publishes fail in between.
/// </summary>
internal sealed class RedisAdapterConnection : IDisposable
{
    private readonly Lazy<IConnectionMultiplexer> _multiplexer;
    private readonly ILogger _logger;
    private bool _owned;
    private int _down;

    public RedisAdapterConnection(IServiceProvider services, IOptions<RedisAdapterOptions> options, ILoggerFactory loggerFactory)
    {
        _logger = loggerFactory.CreateLogger("Raven.SocketIO.Redis");
        var settings = options.Value;
        _multiplexer = new Lazy<IConnectionMultiplexer>(() =>
        {
            IConnectionMultiplexer multiplexer;
            if (settings.ConnectionFactory is { } factory)
            {
                multiplexer = factory(services);
            }
            else
            {
                var configuration = settings.Configuration
                    ?? throw new InvalidOperationException("RedisAdapterOptions needs a Configuration or a ConnectionFactory.");
                multiplexer = ConnectionMultiplexer.Connect(RedisConnectionString.Parse(configuration));
                _owned = true;
            }

            multiplexer.ConnectionFailed += (_, e) => ReportDown(e.FailureType.ToString(), e.Exception);
            multiplexer.ConnectionRestored += (_, _) => ReportUp();
            if (!multiplexer.IsConnected)
            {
                ReportDown("not connected at start-up", null);
            }

            return multiplexer;
        });
    }

    public IConnectionMultiplexer Multiplexer => _multiplexer.Value;

    public ISubscriber Subscriber => Multiplexer.GetSubscriber();

    /// <summary>Publishes without waiting; while Redis is down the message is dropped (local delivery is unaffected).</summary>
    public void Publish(string channel, byte[] message)
    {
        try
        {
            Subscriber.Publish(RedisChannel.Literal(channel), message, CommandFlags.FireAndForget);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            ReportDown(ex.GetType().Name, ex);
        }
    }

    /// <summary>How many servers subscribe to <paramref name="channel"/> (<c>PUBSUB NUMSUB</c>); null while Redis is down.</summary>
    public async Task<long?> CountSubscribersAsync(string channel)
    {
        try
        {
            var result = await Multiplexer.GetDatabase().ExecuteAsync("PUBSUB", "NUMSUB", channel).ConfigureAwait(false);
            var pair = (RedisResult[])result!;
            return pair.Length >= 2 ? (long)pair[1] : 0;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            ReportDown(ex.GetType().Name, ex);
            return null;
        }
    }

    public void ReportDown(string reason, Exception? exception)
    {
        if (Interlocked.Exchange(ref _down, 1) == 0)
        {
            RedisAdapterLog.Unavailable(_logger, reason, exception);
        }
    }

    private void ReportUp()
    {
        if (Interlocked.Exchange(ref _down, 0) == 1)
        {
            RedisAdapterLog.Restored(_logger);
        }
    }

    public void Dispose()
    {
        if (_owned && _multiplexer.IsValueCreated)
        {
            _multiplexer.Value.Dispose();
        }
    }
}
