namespace Raven.Testing;

/// <summary>Installs the pinned packages of a Node folder of the tests (<c>npm ci</c>, once, under a cross-process lock).</summary>
public static class NpmPackages
{
    /// <summary><c>tests/interop</c>: a Node socket.io server on @socket.io/redis-adapter, and @socket.io/redis-emitter.</summary>
    public static string InteropDirectory => Path.Combine(RepoPaths.Root, "tests", "interop");

    public static Task EnsureInstalledAsync(string directory, CancellationToken cancellationToken = default) =>
        Internal.NpmInstaller.EnsureInstalledAsync(directory, cancellationToken);
}
