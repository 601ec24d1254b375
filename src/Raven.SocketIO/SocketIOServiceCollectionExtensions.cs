using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Raven.EngineIO;

namespace Raven.SocketIO;

/// <summary>Registers the Socket.IO server.</summary>
public static class SocketIOServiceCollectionExtensions
{
    /// <summary>Adds <see cref="SocketIOServer"/> as a singleton, configured by <paramref name="configure"/>.</summary>
    public static IServiceCollection AddSocketIO(this IServiceCollection services, Action<SocketIOOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<SocketIOOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SocketIOOptions>, SocketIOOptionsValidator>());
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.TryAddSingleton<SocketIOServer>();
        return services;
    }
}

/// <summary>Validates <see cref="SocketIOOptions"/> and the Engine.IO options nested in it.</summary>
internal sealed class SocketIOOptionsValidator : IValidateOptions<SocketIOOptions>
{
    public ValidateOptionsResult Validate(string? name, SocketIOOptions options)
    {
        var engine = new EngineIOOptionsValidator().Validate(name, options.EngineIO);
        if (options.ConnectTimeout <= TimeSpan.Zero)
        {
            return ValidateOptionsResult.Fail(engine.Failed ? [.. engine.Failures!, "ConnectTimeout must be positive."] : ["ConnectTimeout must be positive."]);
        }

        return engine;
    }
}
