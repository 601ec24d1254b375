using System.Text.RegularExpressions;

namespace Raven.Server.Internal;

/// <summary>Binding and environment checks that turn bad settings into <see cref="RavenConfigurationException"/> lines.</summary>
internal static partial class ConfigurationChecks
{
    /// <summary>Binds <typeparamref name="T"/> from flat keys; a value of the wrong type becomes one line naming the key.</summary>
    public static T Bind<T>(IConfiguration configuration)
        where T : new()
    {
        try
        {
            return configuration.Get<T>() ?? new T();
        }
        catch (InvalidOperationException ex) when (ConversionFailure().Match(ex.Message) is { Success: true } match)
        {
            var key = match.Groups["key"].Value;
            var type = match.Groups["type"].Value;
            throw new RavenConfigurationException(
                $"{key} is not a valid {FriendlyType(type)}; fix or unset {key}.", ex);
        }
    }

    /// <summary>Null when DATA_DIR can be created and written; otherwise the line to print.</summary>
    public static string? DataDirectoryError(string dataDirectory)
    {
        var path = Path.GetFullPath(dataDirectory);
        try
        {
            Directory.CreateDirectory(path);
            var probe = Path.Combine(path, $".write-probe-{Environment.ProcessId}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"DATA_DIR '{path}' is not writable ({ex.Message.TrimEnd('.')}); set DATA_DIR to a folder this user may write.";
        }
    }

    private static string FriendlyType(string clrType) => clrType switch
    {
        "System.Int32" or "System.Int64" => "whole number",
        "System.Boolean" => "boolean (true or false)",
        _ when clrType.StartsWith("System.Nullable`1[[System.Int32", StringComparison.Ordinal) => "whole number",
        _ when clrType.EndsWith(nameof(MessageScope), StringComparison.Ordinal) => "MESSAGE_SCOPE (room or participants)",
        _ => clrType,
    };

    // The binder's message: "Failed to convert configuration value at 'PORT' to type 'System.Int32'." (the value is not
    // repeated, so a mistyped secret never reaches the console).
    [GeneratedRegex("at '(?<key>[^']+)' to type '(?<type>[^']+)'")]
    private static partial Regex ConversionFailure();
}
