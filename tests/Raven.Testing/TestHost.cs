using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Raven.Testing;

/// <summary>
/// A Kestrel-hosted <see cref="WebApplication"/> on <c>http://127.0.0.1:{port}</c> (port 0: the OS picks one).
/// Dispose stops it.
/// </summary>
/// <example>
/// <code>
/// await using var host = await TestHost.StartAsync(b => b.Services.AddSocketIO(), app => app.MapSocketIO());
/// var client = await node.ConnectAsync(host.BaseUrl, new { transports = new[] { "websocket" } });
/// </code>
/// </example>
public sealed class TestHost : IAsyncDisposable
{
    /// <summary>How long a stop waits for open requests (long-polls, WebSockets) before aborting them.</summary>
    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(3);

    private int _stopped;

    private TestHost(WebApplication app, Uri baseUri)
    {
        App = app;
        BaseUri = baseUri;
    }

    /// <summary>The running application.</summary>
    public WebApplication App { get; }

    public IServiceProvider Services => App.Services;

    /// <summary>E.g. <c>http://127.0.0.1:41234</c> (no trailing slash).</summary>
    public string BaseUrl => BaseUri.GetLeftPart(UriPartial.Authority);

    public Uri BaseUri { get; }

    public int Port => BaseUri.Port;

    /// <summary>
    /// Starts an already built application on 127.0.0.1. Any URLs it was configured with are replaced.
    /// </summary>
    public static async Task<TestHost> StartAsync(WebApplication app, int port = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Urls.Clear();
        app.Urls.Add($"http://127.0.0.1:{port}");
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var addresses = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
            var address = addresses.FirstOrDefault()
                ?? throw new InvalidOperationException("Kestrel reported no listening address.");
            return new TestHost(app, new Uri(address));
        }
        catch
        {
            await StopAppAsync(app).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Builds and starts a minimal application: <paramref name="configureBuilder"/> registers services,
    /// <paramref name="configureApp"/> maps endpoints. Console logging is off unless the builder callback adds it.
    /// Pass the <see cref="Port"/> of a stopped host as <paramref name="port"/> to restart "the same server".
    /// </summary>
    public static Task<TestHost> StartAsync(
        Action<WebApplicationBuilder>? configureBuilder,
        Action<WebApplication> configureApp,
        int port = 0,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(configureApp);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(TestHost).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Development,
        });
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = StopTimeout);
        builder.WebHost.UseKestrel();
        configureBuilder?.Invoke(builder);
        var app = builder.Build();
        configureApp(app);
        return StartAsync(app, port, cancellationToken);
    }

    /// <summary>Stops the server (open connections are aborted after <see cref="StopTimeout"/>). Idempotent.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            await StopAppAsync(App).ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    private static async Task StopAppAsync(WebApplication app)
    {
        using (var cts = new CancellationTokenSource(StopTimeout))
        {
            try
            {
                await app.StopAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The graceful phase timed out; the server has aborted what was still open.
            }
        }

        await app.DisposeAsync().ConfigureAwait(false);
    }
}
