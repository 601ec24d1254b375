namespace Raven.Server.Tests.Infrastructure;

/// <summary>One default server per test class.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private RavenTestServer? _server;

    public RavenTestServer Server => _server ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync() => _server = await RavenTestServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
