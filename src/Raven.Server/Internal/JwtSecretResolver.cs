using System.Security.Cryptography;

namespace Raven.Server.Internal;

/// <summary>Finds the JWT secret: configured, or (Development only) generated once and kept under DATA_DIR.</summary>
internal static class JwtSecretResolver
{
    public const string FileName = "jwt-secret";

    /// <returns>The secret and, when it came from the generated file, that file's path (for a warning).</returns>
    public static (string? Secret, string? GeneratedPath, string? Error) Resolve(RavenServerOptions options, IHostEnvironment environment)
    {
        if (!string.IsNullOrEmpty(options.JwtSecret))
        {
            return (options.JwtSecret, null, null);
        }

        if (!environment.IsDevelopment())
        {
            return (null, null,
                $"JWT_SECRET is required in the '{environment.EnvironmentName}' environment (set it to a long random string, e.g. `openssl rand -base64 48`). " +
                "Only Development generates one automatically.");
        }

        var directory = Path.GetFullPath(options.DataDirectory);
        var path = Path.Combine(directory, FileName);
        if (File.Exists(path))
        {
            var existing = File.ReadAllText(path).Trim();
            if (existing.Length > 0)
            {
                return (existing, path, null);
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

        return (secret, path, null);
    }
}
