namespace Raven.Chat;

public enum ChatErrorKind
{
    /// <summary>Input is missing, malformed or out of range (HTTP 400).</summary>
    Validation,
    /// <summary>Credentials are wrong (HTTP 401).</summary>
    Unauthenticated,
    /// <summary>The caller may not do this (HTTP 403; socket PERMISSION_DENIED).</summary>
    PermissionDenied,
    /// <summary>The thing does not exist or is deleted (HTTP 404).</summary>
    NotFound,
    /// <summary>It already exists (HTTP 409).</summary>
    Conflict,
}

/// <summary>An expected failure of a chat operation; the transport maps <see cref="Kind"/> to its own codes.</summary>
public sealed class ChatException(ChatErrorKind kind, string message, string? details = null) : Exception(message)
{
    public ChatErrorKind Kind { get; } = kind;
    public string? Details { get; } = details;
}
