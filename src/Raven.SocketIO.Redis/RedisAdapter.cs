using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Raven.SocketIO.Adapter;
using Raven.SocketIO.Redis.Internal;
using StackExchange.Redis;

namespace Raven.SocketIO.Redis;

/// <summary>
/// A Socket.IO adapter that makes several servers one: rooms stay in each server's memory (the <see cref="LocalAdapter"/>
/// part), and every operation that targets sockets is also published on Redis for the other servers, in the protocol of
/// <c>@socket.io/redis-adapter</c> 8.x, so Raven and Node servers can share a cluster. Broadcasts are encoded once,
/// published once and decoded once per receiving server; <see cref="BroadcastFlags.Local"/> stays on this server.
/// While Redis is unreachable local delivery goes on and cross-server messages are dropped; the subscriptions come
/// back by themselves when it returns.
/// </summary>
public sealed partial class RedisAdapter : LocalAdapter
{
    private readonly RedisAdapterConnection _connection;
    private readonly RedisAdapterOptions _options;
    private readonly JsonSerializerOptions _json;
    private readonly ILogger _logger;
    private readonly RedisChannels _channels;
    private readonly ConcurrentDictionary<string, PendingResponses<RemoteSocket>> _fetches = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PendingResponses<SocketIOArguments>> _serverSideAcks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PendingBroadcastAck> _ackRequests = new(StringComparer.Ordinal);
    private readonly List<ChannelMessageQueue> _queues = [];
    private readonly CancellationTokenSource _closed = new();
    private readonly byte[] _uidUtf8;

    internal RedisAdapter(SocketNamespace nsp, RedisAdapterConnection connection, RedisAdapterOptions options, JsonSerializerOptions json, ILogger logger)
        : base(nsp)
    {
        _connection = connection;
        _options = options;
        _json = json;
        _logger = logger;
        Uid = NewId();
        _uidUtf8 = System.Text.Encoding.UTF8.GetBytes(Uid);
        _channels = new RedisChannels(options.Key, nsp.Name, Uid);
    }

    /// <summary>This server's id in the cluster (the <c>uid</c> of its messages).</summary>
    public string Uid { get; }

    /// <summary>The channel names of this namespace.</summary>
    public RedisChannels Channels => _channels;

    /// <inheritdoc/>
    public override async Task InitAsync()
    {
        var delay = TimeSpan.FromMilliseconds(250);
        while (!_closed.IsCancellationRequested)
        {
            try
            {
                await SubscribeAsync().ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                _connection.ReportDown(ex.GetType().Name, ex);
                RedisAdapterLog.SubscribeFailed(_logger, Namespace.Name, ex);
                await UnsubscribeAsync().ConfigureAwait(false);
                try
                {
                    await Task.Delay(delay, _closed.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 2000));
            }
        }
    }

    /// <inheritdoc/>
    public override async Task CloseAsync()
    {
        await _closed.CancelAsync().ConfigureAwait(false);
        await UnsubscribeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override void Broadcast(EncodedPacket packet, BroadcastOptions options)
    {
        if (!options.Flags.Local)
        {
            var channel = options.Rooms.Count == 1 ? _channels.Room(options.Rooms.First()) : _channels.Broadcast;
            _connection.Publish(channel, RedisMessageWriter.Broadcast(Uid, Namespace.Name, packet, options));
        }

        base.Broadcast(packet, options);
    }

    /// <inheritdoc/>
    public override void BroadcastWithAck(EncodedPacket packet, long ackId, BroadcastOptions options, Action<int> clientCount, Action<SocketIOArguments?> ack)
    {
        if (options.Flags.Local)
        {
            base.BroadcastWithAck(packet, ackId, options, clientCount, ack);
            return;
        }

        var requestId = NewId();
        var pending = new PendingBroadcastAck(clientCount, ack);
        _ackRequests[requestId] = pending;
        _connection.Publish(_channels.Request, RedisMessageWriter.BroadcastWithAck(Uid, requestId, Namespace.Name, packet, options));
        // The local count comes with one extra expected answer, released when the other servers' counts are in.
        base.BroadcastWithAck(packet, ackId, options, count => clientCount(count + 1), ack);
        _ = AwaitRemoteCountsAsync(requestId, pending, options.Flags.Timeout ?? _options.RequestsTimeout);
    }

    /// <inheritdoc/>
    public override async Task<IReadOnlyList<RemoteSocket>> FetchSocketsAsync(BroadcastOptions options)
    {
        var local = await base.FetchSocketsAsync(options).ConfigureAwait(false);
        if (options.Flags.Local)
        {
            return local;
        }

        var servers = await _connection.CountSubscribersAsync(_channels.Request).ConfigureAwait(false);
        if (servers is not > 1)
        {
            return local;
        }

        var requestId = NewId();
        var pending = new PendingResponses<RemoteSocket>((int)servers.Value - 1);
        _fetches[requestId] = pending;
        try
        {
            _connection.Publish(_channels.Request, RedisMessageWriter.Json(RedisRequestType.RemoteFetch, Uid, requestId, json => RedisMessageWriter.WriteTarget(json, options)));
            try
            {
                await pending.Done.WaitAsync(_options.RequestsTimeout, _closed.Token).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Like Node, a server that does not answer in time is left out; unlike Node, the rest is still returned.
                RedisAdapterLog.RequestTimedOut(_logger, "fetchSockets", Namespace.Name, pending.Answers, pending.Expected);
            }

            return [.. local, .. pending.Snapshot()];
        }
        finally
        {
            _fetches.TryRemove(requestId, out _);
        }
    }

    /// <inheritdoc/>
    public override Task AddSocketsAsync(BroadcastOptions options, IReadOnlyCollection<string> rooms)
    {
        if (!options.Flags.Local)
        {
            PublishTargeted(RedisRequestType.RemoteJoin, options, json => RedisMessageWriter.WriteStrings(json, "rooms", rooms));
        }

        return base.AddSocketsAsync(options, rooms);
    }

    /// <inheritdoc/>
    public override Task DelSocketsAsync(BroadcastOptions options, IReadOnlyCollection<string> rooms)
    {
        if (!options.Flags.Local)
        {
            PublishTargeted(RedisRequestType.RemoteLeave, options, json => RedisMessageWriter.WriteStrings(json, "rooms", rooms));
        }

        return base.DelSocketsAsync(options, rooms);
    }

    /// <inheritdoc/>
    public override Task DisconnectSocketsAsync(BroadcastOptions options, bool close)
    {
        if (!options.Flags.Local)
        {
            PublishTargeted(RedisRequestType.RemoteDisconnect, options, json => json.WriteBoolean("close", close));
        }

        return base.DisconnectSocketsAsync(options, close);
    }

    /// <inheritdoc/>
    public override Task ServerSideEmitAsync(EncodedPacket packet)
    {
        _connection.Publish(_channels.Request, RedisMessageWriter.ServerSideEmit(Uid, null, packet));
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Expects an answer from every other subscriber of the request channel (<c>PUBSUB NUMSUB</c> - 1), Node servers
    /// included; none while Redis is down. The timeout defaults to <see cref="RedisAdapterOptions.RequestsTimeout"/>, and
    /// its error says how many answered, in the words of Node's adapter.
    /// </remarks>
    public override async Task<IReadOnlyList<SocketIOArguments>> ServerSideEmitWithAckAsync(EncodedPacket packet, TimeSpan? timeout)
    {
        var servers = await _connection.CountSubscribersAsync(_channels.Request).ConfigureAwait(false);
        if (servers is not > 1)
        {
            return [];
        }

        var requestId = NewId();
        var pending = new PendingResponses<SocketIOArguments>((int)servers.Value - 1);
        _serverSideAcks[requestId] = pending;
        try
        {
            _connection.Publish(_channels.Request, RedisMessageWriter.ServerSideEmit(Uid, requestId, packet));
            try
            {
                await pending.Done.WaitAsync(timeout ?? _options.RequestsTimeout, _closed.Token).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                RedisAdapterLog.RequestTimedOut(_logger, "serverSideEmit", Namespace.Name, pending.Answers, pending.Expected);
                throw new AckTimeoutException(pending.Snapshot(), $"timeout reached: only {pending.Answers} responses received out of {pending.Expected}");
            }

            return pending.Snapshot();
        }
        finally
        {
            _serverSideAcks.TryRemove(requestId, out _);
        }
    }

    /// <inheritdoc/>
    /// <remarks>The number of subscribers of the request channel (<c>PUBSUB NUMSUB</c>), Node servers included; 1 while Redis is down.</remarks>
    public override async Task<int> ServerCountAsync() =>
        (int)Math.Max(1, await _connection.CountSubscribersAsync(_channels.Request).ConfigureAwait(false) ?? 1);

    private void PublishTargeted(RedisRequestType type, BroadcastOptions options, Action<Utf8JsonWriter> fields) =>
        _connection.Publish(_channels.Request, RedisMessageWriter.Json(type, Uid, null, json =>
        {
            RedisMessageWriter.WriteTarget(json, options);
            fields(json);
        }));

    private async Task AwaitRemoteCountsAsync(string requestId, PendingBroadcastAck pending, TimeSpan timeout)
    {
        try
        {
            var servers = await _connection.CountSubscribersAsync(_channels.Request).ConfigureAwait(false);
            pending.ExpectServers(servers is > 1 ? (int)servers.Value - 1 : 0);
            await Task.Delay(timeout, _closed.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Closing: nothing more will arrive.
        }
        finally
        {
            // Servers that never reported are not waited for; the caller's own timeout decides about missing acks.
            pending.Release();
            _ackRequests.TryRemove(requestId, out _);
        }
    }

    private async Task SubscribeAsync()
    {
        var subscriber = _connection.Subscriber;
        await AddQueueAsync(subscriber, RedisChannel.Pattern(_channels.BroadcastPattern), OnBroadcast).ConfigureAwait(false);
        await AddQueueAsync(subscriber, RedisChannel.Literal(_channels.Request), OnRequest).ConfigureAwait(false);
        await AddQueueAsync(subscriber, RedisChannel.Literal(_channels.Response), OnResponse).ConfigureAwait(false);
        await AddQueueAsync(subscriber, RedisChannel.Literal(_channels.SpecificResponse), OnResponse).ConfigureAwait(false);
    }

    private async Task AddQueueAsync(ISubscriber subscriber, RedisChannel channel, Action<ChannelMessage> handler)
    {
        // A queue per subscription: its messages are handled one at a time, in the order Redis delivered them.
        var queue = await subscriber.SubscribeAsync(channel).ConfigureAwait(false);
        lock (_queues)
        {
            _queues.Add(queue);
        }

        queue.OnMessage(message =>
        {
            try
            {
                handler(message);
            }
            catch (Exception ex) when (ex is FormatException or JsonException or InvalidOperationException or ArgumentException or OverflowException or KeyNotFoundException)
            {
                RedisAdapterLog.Malformed(_logger, message.Channel.ToString(), ex);
            }
            catch (Exception ex)
            {
                RedisAdapterLog.HandlerFailed(_logger, message.Channel.ToString(), ex);
            }
        });
    }

    private async Task UnsubscribeAsync()
    {
        ChannelMessageQueue[] queues;
        lock (_queues)
        {
            queues = [.. _queues];
            _queues.Clear();
        }

        foreach (var queue in queues)
        {
            try
            {
                await queue.UnsubscribeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
            {
                // Redis is gone or the connection is closing; the subscription goes with it.
            }
        }
    }

    private static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
}
