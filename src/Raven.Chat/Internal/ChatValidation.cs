namespace Raven.Chat.Internal;

/// <summary>Input rules shared by the service (limits follow the original erion-raven API and its web client).</summary>
internal static class ChatValidation
{
    public const int UsernameMin = 3;
    public const int UsernameMax = 50;
    public const int EmailMax = 254;
    public const int PasswordMin = 6;
    // PBKDF2 cost grows with input length; no human needs more.
    public const int PasswordMax = 256;
    public const int ConversationNameMax = 100;
    public const int UrlMax = 2048;
    public const int FileNameMax = 255;
    public const int SearchLimitMax = 10;
    public const int HistoryLimitDefault = 20;
    public const int HistoryLimitMax = 100;

    public static ChatException Invalid(string message, string? details = null) => new(ChatErrorKind.Validation, message, details);

    public static ChatException NotFound(string message, string? details = null) => new(ChatErrorKind.NotFound, message, details);

    public static ChatException Denied(string message) => new(ChatErrorKind.PermissionDenied, message);

    public static ChatException Conflict(string message) => new(ChatErrorKind.Conflict, message);

    /// <summary>Lower-cases (ids are hex) and checks the ObjectId format.</summary>
    public static string Id(string? value, string field)
    {
        string? id = value?.Trim().ToLowerInvariant();
        return ObjectIds.IsValid(id) ? id : throw Invalid($"{field} must be a valid id", value);
    }

    public static bool TryId(string? value, out string id)
    {
        id = value?.Trim().ToLowerInvariant() ?? "";
        return ObjectIds.IsValid(id);
    }

    public static string Username(string? value)
    {
        string name = value?.Trim() ?? "";
        if (name.Length is < UsernameMin or > UsernameMax)
        {
            throw Invalid($"Username must be {UsernameMin} to {UsernameMax} characters");
        }

        if (HasControl(name))
        {
            throw Invalid("Username contains invalid characters");
        }

        return name;
    }

    /// <summary>Case-insensitive uniqueness key.</summary>
    public static string UsernameKey(string username) => username.ToLowerInvariant();

    /// <summary>Trimmed and lower-cased; a pragmatic shape check (one @, dotted domain, no spaces).</summary>
    public static string Email(string? value)
    {
        string email = value?.Trim().ToLowerInvariant() ?? "";
        int at = email.IndexOf('@', StringComparison.Ordinal);
        bool valid = email.Length <= EmailMax
            && at is > 0 and <= 64
            && at == email.LastIndexOf('@')
            && at < email.Length - 1
            && IsDomain(email.AsSpan(at + 1))
            && !email.AsSpan().ContainsAny(" \t\r\n\"(),:;<>[\\]")
            && !HasControl(email);
        return valid ? email : throw Invalid("Email is not valid");
    }

    public static void Password(string? value)
    {
        if (value is null || value.Length < PasswordMin)
        {
            throw Invalid($"Password must be at least {PasswordMin} characters");
        }

        if (value.Length > PasswordMax)
        {
            throw Invalid($"Password must be at most {PasswordMax} characters");
        }

        bool letter = false, digit = false;
        foreach (char c in value)
        {
            letter |= char.IsLetter(c);
            digit |= char.IsDigit(c);
        }

        if (!letter || !digit)
        {
            throw Invalid("Password must contain at least one letter and one digit");
        }
    }

    public static string ConversationName(string? value)
    {
        string name = value?.Trim() ?? "";
        if (name.Length is < 1 or > ConversationNameMax)
        {
            throw Invalid($"Conversation name must be 1 to {ConversationNameMax} characters");
        }

        return HasControl(name) ? throw Invalid("Conversation name contains invalid characters") : name;
    }

    /// <summary>Absolute http(s) URL or a root-relative path ("/uploads/x"); never javascript:, data: and the like.</summary>
    public static string Url(string value, string field)
    {
        string url = value.Trim();
        if (url.Length > UrlMax)
        {
            throw Invalid($"{field} must be at most {UrlMax} characters");
        }

        bool rootRelative = url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.Contains('\\', StringComparison.Ordinal);
        bool absolute = Uri.TryCreate(url, UriKind.Absolute, out Uri? uri)
            && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            && !string.IsNullOrEmpty(uri.Host);
        if ((!rootRelative && !absolute) || HasControl(url) || url.Contains(' ', StringComparison.Ordinal))
        {
            throw Invalid($"{field} must be an http(s) URL or a path starting with /");
        }

        return url;
    }

    /// <summary>Normalizes a message: blank parts become null, at least one part must remain.</summary>
    public static (string? Text, string? Url, string? FileName) Message(NewMessage? message, int maxTextLength)
    {
        if (message is null)
        {
            throw Invalid("Message is required");
        }

        string? text = string.IsNullOrWhiteSpace(message.Text) ? null : message.Text;
        string? url = string.IsNullOrWhiteSpace(message.Url) ? null : Url(message.Url, "url");
        string? fileName = string.IsNullOrWhiteSpace(message.FileName) ? null : message.FileName.Trim();
        if (text is null && url is null && fileName is null)
        {
            throw Invalid("Message must have text, url or fileName");
        }

        if (text is not null && text.Length > maxTextLength)
        {
            throw Invalid($"Message text must be at most {maxTextLength} characters");
        }

        if (fileName is not null && (fileName.Length > FileNameMax || HasControl(fileName)))
        {
            throw Invalid($"fileName must be at most {FileNameMax} printable characters");
        }

        return (text, url, fileName);
    }

    private static bool IsDomain(ReadOnlySpan<char> domain)
    {
        int dot = domain.IndexOf('.');
        return dot > 0 && domain[^1] != '.' && domain.IndexOf("..") < 0 && domain[0] != '-';
    }

    private static bool HasControl(string value)
    {
        foreach (char c in value)
        {
            if (char.IsControl(c))
            {
                return true;
            }
        }

        return false;
    }
}
