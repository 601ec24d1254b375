using System.Security.Cryptography;
using Raven.Server.Auth.Internal;

namespace Raven.Server.Internal;

/// <summary>Finds the JWT secret: configured, or (Development only) generated once and kept under DATA_DIR.</summary>
internal static class JwtSecretResolver
{
    public const string FileName = "jwt-secret";

    /// <summary>
    /// Start-up errors that depend on the environment: outside Development a JWT secret is required, every secret
    /// (current and previous) must have at least 32 bytes, and PBKDF2 may not go below its floor.
    /// </summary>
    public static IEnumerable<string> EnvironmentErrors(RavenServerOptions options, IHostEnvironment environment)
    {
        if (environment.IsDevelopment())
        {
            yield break;
        }

        if (string.IsNullOrEmpty(options.JwtSecret))
        {
            yield return $"JWT_SECRET is required in the '{environment.EnvironmentName}' environment (set it to a long random string, e.g. `openssl rand -base64 48`). " +
                "Only Development generates one automatically.";
        }
        else if (JwtKeys.IsWeakSecret(options.JwtSecret))
        {
            yield return $"JWT_SECRET is shorter than {JwtKeys.MinimumStrongKeyBytes} bytes, which is refused in the '{environment.EnvironmentName}' environment " +
                "(a short secret can be guessed offline from any token); use e.g. `openssl rand -base64 48`.";
        }

        if (options.PreviousJwtSecrets.Any(JwtKeys.IsWeakSecret))
        {
            yield return $"Every JWT_PREVIOUS_SECRETS entry must have at least {JwtKeys.MinimumStrongKeyBytes} bytes outside Development.";
        }

        if (options.PasswordHashIterations < RavenServerOptions.MinimumPasswordHashIterations)
        {
            yield return $"PASSWORD_HASH_ITERATIONS must be at least {RavenServerOptions.MinimumPasswordHashIterations} outside Development.";
        }
    }

    /// <summary>
    /// The configured secret, or (Development, after <see cref="EnvironmentErrors"/> passed) the one kept in
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
