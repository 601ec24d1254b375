using System.Net;
using System.Net.Sockets;

namespace Raven.Testing;

/// <summary>
/// A TCP relay on 127.0.0.1 in front of a server, to simulate network trouble the server cannot cause itself:
/// <see cref="Frozen"/> stalls traffic with connections left open (the client then sees "ping timeout"),
/// <see cref="DropConnections"/> cuts every connection (the client sees "transport close").
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _lock = new();
    private readonly List<(TcpClient Client, TcpClient Upstream)> _connections = [];
    private readonly Task _acceptLoop;
    private volatile bool _frozen;

    private TcpProxy(TcpListener listener, int targetPort)
    {
        _listener = listener;
        _targetPort = targetPort;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The port the proxy listens on.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary><c>http://127.0.0.1:{Port}</c>.</summary>
    public string BaseUrl => $"http://127.0.0.1:{Port}";

    /// <summary>While true, bytes read on either side are held back (not lost) and connections stay open.</summary>
    public bool Frozen
    {
        get => _frozen;
        set => _frozen = value;
    }

    /// <summary>Connections currently relayed.</summary>
    public int ConnectionCount
    {
        get
        {
            lock (_lock)
            {
                return _connections.Count;
            }
        }
    }

    /// <summary>Starts relaying 127.0.0.1:<paramref name="listenPort"/> (0: any free port) to 127.0.0.1:<paramref name="targetPort"/>.</summary>
    public static TcpProxy Start(int targetPort, int listenPort = 0)
    {
        var listener = new TcpListener(IPAddress.Loopback, listenPort);
        listener.Start();
        return new TcpProxy(listener, targetPort);
    }

    /// <summary>Closes every relayed connection at once (both sides); new connections are still accepted.</summary>
    public void DropConnections()
    {
        List<(TcpClient Client, TcpClient Upstream)> connections;
        lock (_lock)
        {
            connections = [.. _connections];
            _connections.Clear();
        }

        foreach (var (client, upstream) in connections)
        {
            Abort(client);
            Abort(upstream);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        _listener.Stop();
        DropConnections();
        try
        {
            await _acceptLoop.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => RelayAsync(client));
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        var upstream = new TcpClient { NoDelay = true };
        client.NoDelay = true;
        try
        {
            await upstream.ConnectAsync(IPAddress.Loopback, _targetPort, _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            Abort(client);
            upstream.Dispose();
            return;
        }

        lock (_lock)
        {
            _connections.Add((client, upstream));
        }

        try
        {
            await Task.WhenAny(PumpAsync(client, upstream), PumpAsync(upstream, client)).ConfigureAwait(false);
        }
        finally
        {
            lock (_lock)
            {
                _connections.Remove((client, upstream));
            }

            Abort(client);
            Abort(upstream);
        }
    }

    private async Task PumpAsync(TcpClient from, TcpClient to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            var input = from.GetStream();
            var output = to.GetStream();
            while (true)
            {
                var read = await input.ReadAsync(buffer, _stopping.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    return;
                }

                while (_frozen && !_stopping.IsCancellationRequested)
                {
                    await Task.Delay(20, _stopping.Token).ConfigureAwait(false);
                }

                await output.WriteAsync(buffer.AsMemory(0, read), _stopping.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // Either side went away; the relay ends.
        }
    }

    private static void Abort(TcpClient client)
    {
        try
        {
            // Linger 0 resets the connection instead of a graceful FIN, like a dropped network would look.
            // Client is null once the TcpClient is disposed (both relay directions and DropConnections get here).
            if (client.Client is { } socket)
            {
                socket.LingerState = new LingerOption(true, 0);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }

        client.Dispose();
    }
}
