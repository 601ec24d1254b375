namespace Raven.Server;

/// <summary>Who may start a direct conversation with someone, or put someone into a group.</summary>
public enum ContactPolicy
{
    /// <summary>Any user (the original erion-raven API; the bench harness creates groups of arbitrary users).</summary>
    Anyone,
    /// <summary>Only users who are friends (an accepted friend request).</summary>
    Friends,
}

/// <summary>What <c>GET /users/search</c> matches.</summary>
public enum UserSearchMode
{
    /// <summary>A substring of the username or the email (the original API; its web client shows each result's email).</summary>
    Contains,
    /// <summary>A prefix of the username only: email addresses cannot be searched for.</summary>
    Prefix,
}

/// <summary>Who hears a user's online/offline changes.</summary>
public enum PresenceAudience
{
    /// <summary>Friends and everybody sharing a conversation (the original server).</summary>
    Contacts,
    /// <summary>Friends only.</summary>
    Friends,
}
