using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Raven.EngineIO;

namespace Raven.SocketIO;

/// <summary>Maps the Socket.IO endpoint.</summary>
public static class SocketIOEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Serves Socket.IO (over Engine.IO v4, polling and WebSocket) at <paramref name="pattern"/>;
    /// <c>/socket.io</c> and <c>/socket.io/</c> both work. Requires <c>AddSocketIO()</c>.
    /// </summary>
    public static IEndpointConventionBuilder MapSocketIO(this IEndpointRouteBuilder endpoints, string pattern = "/socket.io")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var server = endpoints.ServiceProvider.GetService<SocketIOServer>()
            ?? throw new InvalidOperationException("Call builder.Services.AddSocketIO() before MapSocketIO().");
        endpoints.ServiceProvider.GetService<IHostApplicationLifetime>()?.ApplicationStopping.Register(server.CloseAdapters);
        return endpoints.MapEngineIO(pattern, _ => server.EngineHandler, server.Options.EngineIO);
    }
}
