using Raven.Chat;
using Raven.Server.Auth.Internal;

namespace Raven.Server.Internal;

/// <summary>Facts found while building that are logged once the logger exists.</summary>
internal sealed class StartupReport(string? generatedSecretPath)
{
    public void Log(ILogger logger, RavenServerOptions options, JwtKeys keys)
    {
        ServerLog.DataDirectory(logger, options.DataDirectory);
        if (generatedSecretPath is not null)
        {
            ServerLog.GeneratedJwtSecret(logger, generatedSecretPath);
        }

        if (keys.IsWeak)
        {
            ServerLog.WeakJwtSecret(logger);
        }

        if (options.CorsOrigins.Count > 0)
        {
            ServerLog.CorsOrigins(logger, string.Join(", ", options.CorsOrigins));
        }

        if (!string.IsNullOrEmpty(options.RedisUrl))
        {
            ServerLog.RedisScaleOut(logger);
        }
    }
}

/// <summary>Creates or migrates the database before the server accepts requests, so a broken DATA_DIR fails start-up.</summary>
internal sealed class ChatDatabaseInitializer(ChatDatabase database) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => database.InitializeAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
