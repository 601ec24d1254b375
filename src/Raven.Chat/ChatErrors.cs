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
    /// <summary>
    /// The database cannot be reached or cannot write (down, locked, read-only, disk full); nothing was changed
    /// and the same call may succeed later (HTTP 503; socket SEND_MESSAGE_FAILED).
    /// </summary>
    Unavailable,
}

/// <summary>An expected failure of a chat operation; the transport maps <see cref="Kind"/> to its own codes.</summary>
public sealed class ChatException(ChatErrorKind kind, string message, string? details = null, Exception? innerException = null)
    : Exception(message, innerException)
{
    public ChatErrorKind Kind { get; } = kind;
    public string? Details { get; } = details;
}
