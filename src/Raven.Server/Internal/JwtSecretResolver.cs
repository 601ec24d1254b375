using System.Security.Cryptography;

namespace Raven.Server.Internal;

/// <summary>Finds the JWT secret: configured, or (Development only) generated once and kept under DATA_DIR.</summary>
internal static class JwtSecretResolver
{
    public const string FileName = "jwt-secret";

    /// <summary>The start-up error when no secret is configured outside Development; otherwise null.</summary>
    public static string? MissingSecretError(RavenServerOptions options, IHostEnvironment environment) =>
        string.IsNullOrEmpty(options.JwtSecret) && !environment.IsDevelopment()
            ? $"JWT_SECRET is required in the '{environment.EnvironmentName}' environment (set it to a long random string, e.g. `openssl rand -base64 48`). " +
              "Only Development generates one automatically."
            : null;

    /// <summary>
    /// The configured secret, or (Development, after <see cref="MissingSecretError"/> passed) the one kept in
    /// DATA_DIR/jwt-secret, generated on first use. GeneratedPath names that file, for a warning.
    /// </summary>
    public static (string Secret, string? GeneratedPath) Resolve(RavenServerOptions options)
    {
        if (!string.IsNullOrEmpty(options.JwtSecret))
        {
            return (options.JwtSecret, null);
        }

        var directory = Path.GetFullPath(options.DataDirectory);
        var path = Path.Combine(directory, FileName);
        if (File.Exists(path))
        {
            var existing = File.ReadAllText(path).Trim();
            if (existing.Length > 0)
            {
                return (existing, path);
            }
        }

        Directory.CreateDirectory(directory);
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
        var fileOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var writer = new StreamWriter(path, fileOptions))
        {
            writer.Write(secret);
        }

        return (secret, path);
    }
}
