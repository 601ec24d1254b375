using Microsoft.Extensions.Options;

namespace Raven.SocketIO.Tests.Infrastructure;

/// <summary>A Socket.IO server for unit tests, driven through in-memory connections.</summary>
public sealed class TestIO
{
    public TestIO(Action<SocketIOOptions>? configure = null)
    {
        var options = new SocketIOOptions();
        configure?.Invoke(options);
        Server = new SocketIOServer(Options.Create(options));
    }

    public SocketIOServer Server { get; }

    public Task<InMemoryConnection> OpenAsync(int capacity = 4096) => InMemoryConnection.OpenAsync(Server.EngineHandler, capacity);

    /// <summary>Opens a session and connects it to <paramref name="nsp"/>; returns it with the socket id.</summary>
    public async Task<(InMemoryConnection Connection, string Sid)> ConnectAsync(string nsp = "/", string? auth = null)
    {
        var connection = await OpenAsync();
        var prefix = nsp == "/" ? "0" : "0" + nsp + ",";
        await connection.SendAsync(prefix + (auth ?? ""));
        var reply = await connection.ReceiveAsync();
        var expectedStart = prefix + "{\"sid\":\"";
        Assert.StartsWith(expectedStart, reply);
        var sid = reply[expectedStart.Length..^2];
        return (connection, sid);
    }

    /// <summary>Waits until <paramref name="condition"/> holds (state changed by another thread).</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, int timeoutMs = 5000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("Condition not met in time.");
            }

            await Task.Delay(10);
        }
    }
}
