using StackExchange.Redis;

namespace Raven.SocketIO.Redis;

/// <summary>Turns the forms people have for a Redis address into StackExchange.Redis settings.</summary>
public static class RedisConnectionString
{
    /// <summary>
    /// Parses a <c>redis://</c> / <c>rediss://</c> URL (user, password, host, port, database) or a StackExchange.Redis
    /// configuration string, and applies the settings a Socket.IO adapter wants: keep retrying instead of failing at
    /// start-up, reconnect quickly, and fail commands at once while disconnected instead of queueing them unbounded.
    /// </summary>
    public static ConfigurationOptions Parse(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        ConfigurationOptions options;
        if (value.StartsWith("redis://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase))
        {
            var uri = new Uri(value);
            options = new ConfigurationOptions();
            options.EndPoints.Add(uri.Host, uri.IsDefaultPort || uri.Port <= 0 ? 6379 : uri.Port);
            options.Ssl = uri.Scheme.Equals("rediss", StringComparison.OrdinalIgnoreCase);
            if (!string.IsNullOrEmpty(uri.UserInfo))
            {
                var parts = uri.UserInfo.Split(':', 2);
                if (parts.Length == 2)
                {
                    if (parts[0].Length > 0)
                    {
                        options.User = Uri.UnescapeDataString(parts[0]);
                    }

                    options.Password = Uri.UnescapeDataString(parts[1]);
                }
                else
                {
                    options.Password = Uri.UnescapeDataString(parts[0]);
                }
            }

            var path = uri.AbsolutePath.Trim('/');
            if (path.Length > 0 && int.TryParse(path, out var db))
            {
                options.DefaultDatabase = db;
            }
        }
        else
        {
            options = ConfigurationOptions.Parse(value);
        }

        options.AbortOnConnectFail = false;
        options.ConnectTimeout = 2000;
        options.ReconnectRetryPolicy = new LinearRetry(500);
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.KeepAlive = 5;
        return options;
    }
}
