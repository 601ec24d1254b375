using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Raven.Testing;

namespace Raven.SocketIO.Tests.OfficialClient;

/// <summary>A small app built with <c>AddSocketIO</c>/<c>MapSocketIO</c> on a free port, for official-client tests.</summary>
internal sealed class SocketIOTestApp : IAsyncDisposable
{
    private SocketIOTestApp(TestHost host)
    {
        Host = host;
        Io = host.Services.GetRequiredService<SocketIOServer>();
    }

    public TestHost Host { get; }

    public SocketIOServer Io { get; }

    public string Url => Host.BaseUrl;

    public int Port => Host.Port;

    /// <summary>
    /// Starts the app. <paramref name="configure"/> sets up namespaces, middleware and handlers before the
    /// first request; pass the <see cref="Port"/> of a stopped app to restart on the same address.
    /// </summary>
    public static async Task<SocketIOTestApp> StartAsync(
        Action<SocketIOServer>? configure = null,
        Action<SocketIOOptions>? options = null,
        int port = 0)
    {
        var host = await TestHost.StartAsync(
            builder => builder.Services.AddSocketIO(options),
            app =>
            {
                app.MapSocketIO();
                configure?.Invoke(app.Services.GetRequiredService<SocketIOServer>());
            },
            port);
        return new SocketIOTestApp(host);
    }

    public Task StopAsync() => Host.StopAsync();

    public ValueTask DisposeAsync() => Host.DisposeAsync();
}
