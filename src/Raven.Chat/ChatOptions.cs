namespace Raven.Chat;

/// <summary>Settings of the chat backend (storage location and validation limits).</summary>
public sealed class ChatOptions
{
    /// <summary>Folder of the SQLite database file (<c>raven.db</c>); created when missing. Unused with <see cref="DatabaseUrl"/>.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>Full SQLite connection string; overrides <see cref="DataDirectory"/> when set.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// PostgreSQL instead of SQLite: <c>postgres://user:password@host:port/db?sslmode=require</c> (or <c>postgresql://</c>)
    /// or an Npgsql connection string (<c>Host=...;Username=...;Password=...;Database=...</c>). See docs/storage.md.
    /// </summary>
    public string? DatabaseUrl { get; set; }

    /// <summary>Longest message text accepted, in UTF-16 code units.</summary>
    public int MaxMessageLength { get; set; } = 5000;

    /// <summary>
    /// PBKDF2 iterations for new password hashes; null keeps the ASP.NET Core Identity default.
    /// Existing hashes with fewer iterations are upgraded on the next successful sign-in.
    /// </summary>
    public int? PasswordHashIterations { get; set; }

    /// <summary>Most members of a group, the owner included. Checked before any per-member work.</summary>
    public int MaxGroupMembers { get; set; } = 10_000;

    /// <summary>Only friends may open a direct conversation with each other (default: anyone, as the original API).</summary>
    public bool DirectMessagesFriendsOnly { get; set; }

    /// <summary>Only friends of the caller may be put into a group, at creation or later (default: anyone).</summary>
    public bool GroupInvitesFriendsOnly { get; set; }

    /// <summary>User search matches username prefixes only, never email addresses (default: substring of either).</summary>
    public bool SearchUsernamePrefixOnly { get; set; }

    /// <summary>Seconds a database command waits on a locked database before failing.</summary>
    public int BusyTimeoutSeconds { get; set; } = 30;

    /// <summary>Null when <paramref name="databaseUrl"/> is usable, else what is wrong with it (never echoes the password).</summary>
    public static string? CheckDatabaseUrl(string databaseUrl)
    {
        try
        {
            Internal.Storage.DatabaseUrl.ToConnectionString(databaseUrl);
            return null;
        }
        catch (FormatException ex)
        {
            return ex.Message;
        }
        catch (ArgumentException)
        {
            return "is empty.";
        }
    }

    internal string ResolveConnectionString()
    {
        Microsoft.Data.Sqlite.SqliteConnectionStringBuilder builder;
        if (!string.IsNullOrWhiteSpace(ConnectionString))
        {
            builder = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(ConnectionString);
        }
        else
        {
            string directory = Path.GetFullPath(DataDirectory);
            Directory.CreateDirectory(directory);
            builder = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder
            {
                DataSource = Path.Combine(directory, "raven.db"),
                Mode = Microsoft.Data.Sqlite.SqliteOpenMode.ReadWriteCreate,
                DefaultTimeout = BusyTimeoutSeconds,
            };
        }

        // Integrity rules live in the schema, so these are not negotiable even with a custom string.
        builder.ForeignKeys = true;
        builder.Pooling = true;
        return builder.ToString();
    }
}
