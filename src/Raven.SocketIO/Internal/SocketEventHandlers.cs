namespace Raven.SocketIO.Internal;

/// <summary>
/// The event side of one socket: its event middleware (<c>socket.Use</c>), catch-all handlers (<c>OnAny</c>) and
/// named handlers (<c>On</c>). Named handlers live in one small array that grows by doubling: a registration writes
/// one slot (no copy of what is there), and a dispatch scans the few entries a socket has (the chat has four).
/// </summary>
/// <remarks>
/// Locks on itself (it is internal and never exposed): one object fewer per socket.
/// Dispatch reads the array and count under the lock and then iterates outside it. That is safe without copying:
/// a registration either writes a slot beyond the snapshot's count or moves to a new array, never changing a slot
/// the snapshot can see.
/// </remarks>
internal sealed class SocketEventHandlers
{
    private (string Name, Func<SocketIOEvent, Task> Handler)[] _named = [];
    private int _count;
    private Func<SocketIOEvent, Task>[] _any = [];
    private Func<SocketIOEvent, Func<Task>, Task>[] _middleware = [];

    public void Add(string eventName, Func<SocketIOEvent, Task> handler)
    {
        lock (this)
        {
            if (_count == _named.Length)
            {
                var grown = new (string, Func<SocketIOEvent, Task>)[Math.Max(4, _count * 2)];
                _named.AsSpan(0, _count).CopyTo(grown);
                _named = grown;
            }

            _named[_count++] = (eventName, handler);
        }
    }

    public void AddAny(Func<SocketIOEvent, Task> handler)
    {
        lock (this)
        {
            _any = [.. _any, handler];
        }
    }

    public void AddMiddleware(Func<SocketIOEvent, Func<Task>, Task> middleware)
    {
        lock (this)
        {
            _middleware = [.. _middleware, middleware];
        }
    }

    /// <summary>Runs the middleware chain, then the catch-all and the named handlers, one after the other.</summary>
    public async Task DispatchAsync(SocketIOEvent e)
    {
        var middleware = Volatile.Read(ref _middleware);
        if (middleware.Length > 0 && !await RunMiddlewareAsync(middleware, e))
        {
            return;
        }

        foreach (var any in Volatile.Read(ref _any))
        {
            await InvokeAsync(any, e);
        }

        (string Name, Func<SocketIOEvent, Task> Handler)[] named;
        int count;
        lock (this)
        {
            (named, count) = (_named, _count);
        }

        for (var i = 0; i < count; i++)
        {
            if (string.Equals(named[i].Name, e.Name, StringComparison.Ordinal))
            {
                await InvokeAsync(named[i].Handler, e);
            }
        }
    }

    private static async Task<bool> RunMiddlewareAsync(Func<SocketIOEvent, Func<Task>, Task>[] chain, SocketIOEvent e)
    {
        try
        {
            return await MiddlewareChain.RunAsync(chain, e);
        }
        catch (Exception ex)
        {
            // Like a handler failure: logged, the event dropped, the connection kept.
            SocketIOLog.HandlerFailed(e.Socket.Namespace.Server.Logger, e.Name, e.Socket.Namespace.Name, e.Socket.Id, ex);
            return false;
        }
    }

    private static async Task InvokeAsync(Func<SocketIOEvent, Task> handler, SocketIOEvent e)
    {
        try
        {
            await handler(e);
        }
        catch (Exception ex)
        {
            SocketIOLog.HandlerFailed(e.Socket.Namespace.Server.Logger, e.Name, e.Socket.Namespace.Name, e.Socket.Id, ex);
        }
    }
}
