using Microsoft.Extensions.DependencyInjection.Extensions;
using Raven.Chat;
using Raven.Chat.Internal.Storage;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registration of the chat backend.</summary>
public static class ChatServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ChatDatabase"/>, <see cref="IChatService"/> and <see cref="IRefreshSessionStore"/> as singletons.
    /// Await <see cref="ChatDatabase.InitializeAsync"/> at start-up to create the schema early (otherwise the first call does).
    /// </summary>
    public static IServiceCollection AddRavenChat(this IServiceCollection services, Action<ChatOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<ChatOptions>();
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.TryAddSingleton<ChatDatabase>();
        services.TryAddSingleton<ChatService>();
        services.TryAddSingleton<IChatService>(sp => sp.GetRequiredService<ChatService>());
        services.TryAddSingleton<IRefreshSessionStore>(sp => new SqlRefreshSessionStore(
            sp.GetRequiredService<ChatDatabase>().Store,
            sp.GetService<TimeProvider>() ?? TimeProvider.System));
        return services;
    }
}
