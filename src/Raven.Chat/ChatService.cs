using System.Data.Common;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Raven.Chat.Internal;
using Raven.Chat.Internal.Storage;
using static Raven.Chat.Internal.ChatValidation;

namespace Raven.Chat;

/// <summary>
/// The chat rules over <see cref="ChatDatabase"/>. Every check that depends on stored state (participation,
/// ownership, existence) runs inside the same transaction as the write it guards, so a concurrent delete or
/// leave cannot slip between check and write, and a failed check leaves nothing behind.
/// Thread-safe; register as a singleton.
/// </summary>
public sealed class ChatService : IChatService
{
    // The hasher ignores the user argument; one placeholder keeps the call sites non-null.
    private static readonly User HashSubject = new("", "", "", null, DateTimeOffset.UnixEpoch);

    /// <summary>The <see cref="ChatException.Details"/> of a wrong current password (the transport limits retries).</summary>
    public const string CurrentPasswordIncorrect = "currentPassword";

    private readonly SqlStore _store;
    private readonly ChatOptions _options;
    private readonly PasswordHasher<User> _hasher;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lazy<string> _decoyHash;

    public ChatService(ChatDatabase database, IOptions<ChatOptions> options, ILogger<ChatService>? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(options);
        _store = database.Store;
        _options = options.Value;
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxMessageLength, 1, "ChatOptions.MaxMessageLength");
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxGroupMembers, 2, "ChatOptions.MaxGroupMembers");
        var hasherOptions = new PasswordHasherOptions();
        if (_options.PasswordHashIterations is { } iterations)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1, "ChatOptions.PasswordHashIterations");
            hasherOptions.IterationCount = iterations;
        }

        _hasher = new PasswordHasher<User>(Options.Create(hasherOptions));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _decoyHash = new Lazy<string>(() => _hasher.HashPassword(HashSubject, Guid.NewGuid().ToString()));
    }

    private int MaxGroupMembers => _options.MaxGroupMembers;

    // ---------------------------------------------------------------- users

    public async Task<User> RegisterAsync(string username, string email, string password, CancellationToken ct = default)
    {
        string name = Username(username);
        string key = UsernameKey(name);
        string mail = Email(email);
        Password(password);
        // Hash before taking the write lock: PBKDF2 is the slow part.
        string hash = _hasher.HashPassword(HashSubject, password);
        try
        {
            User user = await _store.WriteAsync(
                async db =>
                {
                    if (await db.EmailExistsAsync(mail).ConfigureAwait(false))
                    {
                        throw Conflict("Email is already registered");
                    }

                    if (await db.UsernameTakenAsync(key, null).ConfigureAwait(false))
                    {
                        throw Conflict("Username is already taken");
                    }

                    DateTimeOffset now = Now();
                    var created = new User(ObjectIds.NewId(now), name, mail, null, now);
                    await db.InsertUserAsync(created, key, hash).ConfigureAwait(false);
                    return created;
                },
                ct).ConfigureAwait(false);
            ChatLog.UserRegistered(_logger, user.Id);
            return user;
        }
        catch (DbException ex) when (_store.IsUniqueViolation(ex))
        {
            // Another process registered the same email or name between our check and insert.
            throw Conflict("Email or username is already registered");
        }
    }

    public async Task<User?> VerifyCredentialsAsync(string email, string password, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(email) || string.IsNullOrEmpty(password) || password.Length > PasswordMax)
        {
            return null;
        }

        string mail = email.Trim().ToLowerInvariant();
        UserCredentials? credentials = await _store.ReadAsync(db => db.FindCredentialsByEmailAsync(mail), ct).ConfigureAwait(false);
        if (credentials is null)
        {
            // Same PBKDF2 work as a real check, so response time does not reveal which emails exist.
            _hasher.VerifyHashedPassword(HashSubject, _decoyHash.Value, password);
            return null;
        }

        PasswordVerificationResult result = _hasher.VerifyHashedPassword(HashSubject, credentials.PasswordHash, password);
        if (result == PasswordVerificationResult.Failed)
        {
            return null;
        }

        if (result == PasswordVerificationResult.SuccessRehashNeeded)
        {
            string upgraded = _hasher.HashPassword(HashSubject, password);
            await _store.WriteAsync(db => db.UpdatePasswordHashAsync(credentials.User.Id, upgraded), ct).ConfigureAwait(false);
            ChatLog.PasswordRehashed(_logger, credentials.User.Id);
        }

        return credentials.User;
    }

    /// <summary>Null when the id is malformed or unknown.</summary>
    public Task<User?> FindUserAsync(string userId, CancellationToken ct = default) =>
        TryId(userId, out string id) ? _store.ReadAsync(db => db.FindUserAsync(id), ct) : Task.FromResult<User?>(null);

    /// <summary>
    /// Null or empty fields are left unchanged, except <see cref="ProfileUpdate.Avatar"/> where "" clears it.
    /// A new password needs the correct <see cref="ProfileUpdate.CurrentPassword"/> (Validation otherwise).
    /// </summary>
    public async Task<User> UpdateProfileAsync(string userId, ProfileUpdate update, CancellationToken ct = default)
    {
        string id = Id(userId, "userId");
        ArgumentNullException.ThrowIfNull(update);
        string? name = string.IsNullOrEmpty(update.Username) ? null : Username(update.Username);
        string? avatar = update.Avatar is null or "" ? update.Avatar : (string.IsNullOrWhiteSpace(update.Avatar) ? "" : Url(update.Avatar, "avatar"));
        string? newHash = null;
        if (!string.IsNullOrEmpty(update.Password))
        {
            Password(update.Password);
            if (string.IsNullOrEmpty(update.CurrentPassword))
            {
                throw Invalid("Current password is required to set a new password");
            }

            UserCredentials current = await _store.ReadAsync(db => db.FindCredentialsByIdAsync(id), ct).ConfigureAwait(false)
                ?? throw NotFound("User not found");
            if (_hasher.VerifyHashedPassword(HashSubject, current.PasswordHash, update.CurrentPassword) == PasswordVerificationResult.Failed)
            {
                throw Invalid("Current password is incorrect", CurrentPasswordIncorrect);
            }

            newHash = _hasher.HashPassword(HashSubject, update.Password);
        }

        try
        {
            return await _store.WriteAsync(
                async db =>
                {
                    UserCredentials current = await db.FindCredentialsByIdAsync(id).ConfigureAwait(false) ?? throw NotFound("User not found");
                    User user = current.User;
                    if (name is not null && await db.UsernameTakenAsync(UsernameKey(name), id).ConfigureAwait(false))
                    {
                        throw Conflict("Username is already taken");
                    }

                    User updated = user with
                    {
                        Username = name ?? user.Username,
                        Avatar = avatar is null ? user.Avatar : (avatar.Length == 0 ? null : avatar),
                    };
                    await db.UpdateUserAsync(updated, UsernameKey(updated.Username), newHash ?? current.PasswordHash, Now()).ConfigureAwait(false);
                    return updated;
                },
                ct).ConfigureAwait(false);
        }
        catch (DbException ex) when (_store.IsUniqueViolation(ex))
        {
            throw Conflict("Username is already taken");
        }
    }

    /// <summary>Blank term: empty result. <paramref name="limit"/> is capped at 10 (0 or less means 10).</summary>
    public async Task<IReadOnlyList<User>> SearchUsersAsync(string term, int limit, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(term))
        {
            return [];
        }

        string needle = term.Trim().ToLowerInvariant();
        int take = limit <= 0 ? SearchLimitMax : Math.Min(limit, SearchLimitMax);
        return _options.SearchUsernamePrefixOnly
            ? await _store.ReadAsync(db => db.SearchUsersByUsernamePrefixAsync(needle, take), ct).ConfigureAwait(false)
            : await _store.ReadAsync(db => db.SearchUsersAsync(needle, take), ct).ConfigureAwait(false);
    }

    // ---------------------------------------------------------------- conversations

    /// <summary>Live conversations of the user, most recent activity (creation or last message) first.</summary>
    public async Task<IReadOnlyList<ConversationSummary>> ListConversationsAsync(string userId, CancellationToken ct = default)
    {
        string me = Id(userId, "userId");
        return await _store.ReadAsync(
            async db =>
            {
                List<SummaryRow> rows = await db.ListSummariesAsync(me).ConfigureAwait(false);
                Dictionary<string, User> partners = await db.DirectPartnersAsync(me).ConfigureAwait(false);
                var lastIds = rows.Where(r => r.LastMessageId is not null).Select(r => r.LastMessageId!).ToList();
                Dictionary<string, Message> last = (await db.FindMessagesAsync(lastIds).ConfigureAwait(false))
                    .ToDictionary(m => m.ConversationId, StringComparer.Ordinal);
                var summaries = new List<ConversationSummary>(rows.Count);
                foreach (SummaryRow row in rows)
                {
                    Conversation c = row.Conversation;
                    User? other = c.Type == ConversationType.Direct ? partners.GetValueOrDefault(c.Id) : null;
                    summaries.Add(new ConversationSummary(
                        c, DisplayName(c, other), other?.Id, row.UnreadCount, row.LastReadAt, last.GetValueOrDefault(c.Id)));
                }

                return summaries;
            },
            ct).ConfigureAwait(false);
    }

    public async Task<ConversationDetails> GetConversationAsync(string userId, string conversationId, CancellationToken ct = default)
    {
        string me = Id(userId, "userId");
        string id = Id(conversationId, "conversationId");
        return await _store.ReadAsync(
            async db =>
            {
                Conversation c = await LoadForParticipantAsync(db, id, me).ConfigureAwait(false);
                List<User> members = await db.ListMembersAsync(id).ConfigureAwait(false);
                User? other = c.Type == ConversationType.Direct ? members.Find(m => m.Id != me) : null;
                return new ConversationDetails(c, DisplayName(c, other), other?.Id, members);
            },
            ct).ConfigureAwait(false);
    }

    /// <summary>
    /// <paramref name="userIds"/> are the other members (the caller is dropped if listed, duplicates are ignored).
    /// Direct: exactly one other user, name optional (stored as given or ""); the live DM of the pair is returned
    /// when there is one. Group: name 1..100 characters, 1 to MaxGroupMembers - 1 other users; the caller becomes the owner.
    /// </summary>
    public async Task<Conversation> CreateConversationAsync(
        string userId, ConversationType type, string? name, IReadOnlyList<string> userIds, CancellationToken ct = default)
    {
        string me = Id(userId, "userId");
        if (userIds is null)
        {
            throw Invalid("userIds is required");
        }

        // Size first: nothing per member happens for a list that can never be valid (it may name the caller and repeat ids).
        if (userIds.Count > MaxGroupMembers)
        {
            throw Invalid(type == ConversationType.Direct
                ? "A direct conversation needs exactly one other user"
                : $"A group needs 1 to {MaxGroupMembers - 1} other users");
        }

        var seen = new HashSet<string>(userIds.Count, StringComparer.Ordinal) { me };
        var others = new List<string>(userIds.Count);
        foreach (string raw in userIds)
        {
            string other = Id(raw, "userIds");
            if (seen.Add(other))
            {
                others.Add(other);
            }
        }

        Conversation created;
        if (type == ConversationType.Direct)
        {
            if (others.Count != 1)
            {
                throw Invalid("A direct conversation needs exactly one other user");
            }

            string directName = string.IsNullOrWhiteSpace(name) ? "" : ConversationName(name);
            created = await _store.WriteAsync(
                async db =>
                {
                    await RequireUsersAsync(db, [me, others[0]]).ConfigureAwait(false);
                    if (_options.DirectMessagesFriendsOnly && !await db.AreFriendsAsync(me, others[0]).ConfigureAwait(false))
                    {
                        throw Denied("Direct conversations are only possible between friends");
                    }

                    return await GetOrCreateDirectAsync(db, me, others[0], directName).ConfigureAwait(false);
                },
                ct).ConfigureAwait(false);
        }
        else if (type == ConversationType.Group)
        {
            string groupName = ConversationName(name);
            if (others.Count < 1 || others.Count >= MaxGroupMembers)
            {
                throw Invalid($"A group needs 1 to {MaxGroupMembers - 1} other users");
            }

            created = await _store.WriteAsync(
                async db =>
                {
                    await RequireUsersAsync(db, [me, .. others]).ConfigureAwait(false);
                    await RequireFriendsIfConfiguredAsync(db, me, others).ConfigureAwait(false);
                    DateTimeOffset now = Now();
                    var conversation = new Conversation(ObjectIds.NewId(now), groupName, ConversationType.Group, me, null, now, now);
                    await db.InsertConversationAsync(conversation, null).ConfigureAwait(false);
                    await db.InsertParticipantAsync(conversation.Id, me, now).ConfigureAwait(false);
                    foreach (string other in others)
                    {
                        await db.InsertParticipantAsync(conversation.Id, other, now).ConfigureAwait(false);
                    }

                    return conversation;
                },
                ct).ConfigureAwait(false);
        }
        else
        {
            throw Invalid("type must be direct or group");
        }

        ChatLog.ConversationCreated(_logger, created.Id, created.Type, me);
        return created;
    }

    /// <summary>Group only, owner only. Null leaves a field unchanged; an empty or blank avatar clears it.</summary>
    public async Task<Conversation> UpdateConversationAsync(string userId, string conversationId, string? name, string? avatar, CancellationToken ct = default)
    {
        string me = Id(userId, "userId");
        string id = Id(conversationId, "conversationId");
        string? newName = name is null ? null : ConversationName(name);
        string? newAvatar = avatar is null ? null : (string.IsNullOrWhiteSpace(avatar) ? "" : Url(avatar, "avatar"));
        return await _store.WriteAsync(
            async db =>
            {
                Conversation c = await LoadForParticipantAsync(db, id, me).ConfigureAwait(false);
                if (c.Type != ConversationType.Group)
                {
                    throw Invalid("Only group conversations can be renamed or given an avatar");
                }

                if (c.OwnerId != me)
                {
                    throw Denied("Only the owner can update this conversation");
                }

                DateTimeOffset now = Now();
                Conversation updated = c with
                {
                    Name = newName ?? c.Name,
                    Avatar = newAvatar is null ? c.Avatar : (newAvatar.Length == 0 ? null : newAvatar),
                    UpdatedAt = now,
                };
                await db.UpdateConversationAsync(id, updated.Name, updated.Avatar, now).ConfigureAwait(false);
                return updated;
            },
            ct).ConfigureAwait(false);
    }

    public async Task DeleteConversationAsync(string userId, string conversationId, CancellationToken ct = default)
    {
        string me = Id(userId, "userId");
        string id = Id(conversationId, "conversationId");
        await _store.WriteAsync(
            async db =>
            {
                Conversation c = await LoadForParticipantAsync(db, id, me).ConfigureAwait(false);
                if (c.OwnerId != me)
                {
                    throw Denied("Only the owner can delete this conversation");
                }

                return await db.SoftDeleteConversationAsync(id, Now()).ConfigureAwait(false);
            },
            ct).ConfigureAwait(false);
        ChatLog.ConversationDeleted(_logger, id, me);
    }

    /// <summary>Group only; any participant may add an existing user (at most 50 members).</summary>
    public async Task AddMemberAsync(string userId, string conversationId, string memberId, CancellationToken ct = default)
    {
        string me = Id(userId, "userId");
        string id = Id(conversationId, "conversationId");
        string member = Id(memberId, "userId");
        await _store.WriteAsync(
            async db =>
            {
                Conversation c = await LoadForParticipantAsync(db, id, me).ConfigureAwait(false);
                if (c.Type != ConversationType.Group)
                {
                    throw Invalid("Members can only be added to group conversations");
                }

                if (await db.FindUserAsync(member).ConfigureAwait(false) is null)
                {
                    throw NotFound("User not found", member);
                }

                await RequireFriendsIfConfiguredAsync(db, me, [member]).ConfigureAwait(false);

                List<ParticipantRow> participants = await db.ListParticipantsAsync(id).ConfigureAwait(false);
                if (participants.Exists(p => p.UserId == member))
                {
                    throw Conflict("User is already a member of this conversation");
                }

                if (participants.Count >= MaxGroupMembers)
                {
                    throw Invalid($"A group can have at most {MaxGroupMembers} members");
                }

                return await db.InsertParticipantAsync(id, member, Now()).ConfigureAwait(false);
            },
            ct).ConfigureAwait(false);
    }

    /// <summary>Group only; the owner removes others, anyone may remove themselves (same as leaving).</summary>
    public async Task RemoveMemberAsync(string userId, string conversationId, string memberId, CancellationToken ct = default)
    {
        string me = Id(userId, "userId");
        string id = Id(conversationId, "conversationId");
        string member = Id(memberId, "userId");
        if (member == me)
        {
            await LeaveConversationAsync(me, id, ct).ConfigureAwait(false);
            return;
        }

        await _store.WriteAsync(
            async db =>
            {
                Conversation c = await LoadForParticipantAsync(db, id, me).ConfigureAwait(false);
                if (c.Type != ConversationType.Group)
                {
                    throw Invalid("Members can only be removed from group conversations");
                }

                if (c.OwnerId != me)
                {
                    throw Denied("Only the owner can remove members");
                }

                if (await db.DeleteParticipantAsync(id, member).ConfigureAwait(false) == 0)
                {
                    throw NotFound("User is not a member of this conversation", member);
                }

                return 0;
            },
            ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The caller stops being a participant. An owner hands ownership to the longest-standing remaining member;
    /// the last one out deletes the conversation. Leaving a direct conversation frees the pair for a new one.
    /// </summary>
    public async Task LeaveConversationAsync(string userId, string conversationId, CancellationToken ct = default)
    {
        string me = Id(userId, "userId");
        string id = Id(conversationId, "conversationId");
        (string? newOwner, string oldOwner) = await _store.WriteAsync(
            async db =>
            {
                Conversation c = await LoadForParticipantAsync(db, id, me).ConfigureAwait(false);
                await db.DeleteParticipantAsync(id, me).ConfigureAwait(false);
                if (c.Type == ConversationType.Direct)
                {
                    await db.ClearDirectKeyAsync(id).ConfigureAwait(false);
                }

                DateTimeOffset now = Now();
                List<ParticipantRow> remaining = await db.ListParticipantsAsync(id).ConfigureAwait(false);
                if (remaining.Count == 0)
                {
                    await db.SoftDeleteConversationAsync(id, now).ConfigureAwait(false);
                    return ((string?)null, c.OwnerId);
                }

                if (c.OwnerId != me)
                {
                    return (null, c.OwnerId);
                }

                await db.SetOwnerAsync(id, remaining[0].UserId, now).ConfigureAwait(false);
                return (remaining[0].UserId, c.OwnerId);
            },
            ct).ConfigureAwait(false);
        if (newOwner is not null)
        {
            ChatLog.OwnershipTransferred(_logger, id, oldOwner, newOwner);
        }
    }

    public async Task MarkReadAsync(string userId, string conversationId, CancellationToken ct = default)
    {
        string me = Id(userId, "userId");
        string id = Id(conversationId, "conversationId");
        await _store.WriteAsync(
            async db =>
            {
                await LoadForParticipantAsync(db, id, me).ConfigureAwait(false);
                return await db.MarkReadAsync(id, me, Now()).ConfigureAwait(false);
            },
            ct).ConfigureAwait(false);
    }

    public async Task<Conversation> EnsureParticipantAsync(string userId, string conversationId, CancellationToken ct = default)
    {
        string me = Id(userId, "userId");
        string id = Id(conversationId, "conversationId");
        return await _store.ReadAsync(db => LoadForParticipantAsync(db, id, me), ct).ConfigureAwait(false);
    }

    /// <summary>Longest-standing first. Throws Validation (bad id) or NotFound (absent or deleted).</summary>
    public async Task<IReadOnlyList<string>> GetParticipantIdsAsync(string conversationId, CancellationToken ct = default)
    {
        string id = Id(conversationId, "conversationId");
        return await _store.ReadAsync(
            async db =>
            {
                ConversationRow? row = await db.FindConversationAsync(id).ConfigureAwait(false);
                if (row is null || row.Deleted)
                {
                    throw NotFound("Conversation not found");
                }

                return (await db.ListParticipantsAsync(id).ConfigureAwait(false)).ConvertAll(p => p.UserId);
            },
            ct).ConfigureAwait(false);
    }

    // ---------------------------------------------------------------- messages

    /// <summary>
    /// Blank parts are dropped (text is otherwise kept verbatim); at least one of text, url, fileName must remain.
    /// The message and the other participants' unread increments commit together.
    /// </summary>
    public async Task<Message> SendMessageAsync(string userId, string conversationId, NewMessage message, CancellationToken ct = default)
    {
        string me = Id(userId, "userId");
        string id = Id(conversationId, "conversationId");
        (string? text, string? url, string? fileName) = ChatValidation.Message(message, _options.MaxMessageLength);
        // Grouped: concurrent sends share one commit; each call still returns only after its message is stored.
        return await _store.WriteGroupedAsync(
            id,
            async db =>
            {
                DateTimeOffset now = Now();
                var stored = new Message(ObjectIds.NewId(now), id, me, "", null, text, url, fileName, now, now);
                // The membership check is part of the insert (see ChatQueries.InsertMessageAsync).
                if (!await db.InsertMessageAsync(stored).ConfigureAwait(false))
                {
                    await LoadForParticipantAsync(db, id, me).ConfigureAwait(false);
                    throw Denied("You are not a participant of this conversation");
                }

                User sender = await db.FindUserAsync(me).ConfigureAwait(false) ?? throw NotFound("User not found");
                return stored with { SenderName = sender.Username, SenderAvatar = sender.Avatar };
            },
            ct).ConfigureAwait(false);
    }

    /// <summary>
    /// One page of visible (not deleted) messages, always newest first.
    /// <list type="bullet">
    /// <item>Neither cursor: the newest <c>Limit</c> messages.</item>
    /// <item><c>Before</c>: the newest <c>Limit</c> messages strictly older than the cursor. Scroll back with
    /// <c>Before</c> = the last (oldest) item of the previous page until a page is shorter than <c>Limit</c>.</item>
    /// <item><c>After</c>: the <c>Limit</c> messages immediately following the cursor (the oldest ones strictly newer),
    /// presented newest first. Catch up with <c>After</c> = the first (newest) item of the previous page until a page
    /// is shorter than <c>Limit</c>. Pages follow the conversation's sequence numbers, assigned in commit order
    /// (also across nodes), so this never skips a message.</item>
    /// </list>
    /// <c>Limit</c> 0 means 20; otherwise it must be 1..100. A cursor must be the id of a message of this
    /// conversation (a deleted one is fine), else Validation.
    /// </summary>
    public async Task<IReadOnlyList<Message>> GetMessagesAsync(string userId, string conversationId, HistoryQuery query, CancellationToken ct = default)
    {
        string me = Id(userId, "userId");
        string id = Id(conversationId, "conversationId");
        if (query is null)
        {
            throw Invalid("query is required");
        }

        int limit = query.Limit == 0 ? HistoryLimitDefault : query.Limit;
        if (limit is < 1 or > HistoryLimitMax)
        {
            throw Invalid($"limit must be between 1 and {HistoryLimitMax}");
        }

        string? before = string.IsNullOrEmpty(query.Before) ? null : Id(query.Before, "before");
        string? after = string.IsNullOrEmpty(query.After) ? null : Id(query.After, "after");
        if (before is not null && after is not null)
        {
            throw Invalid("Use either before or after, not both");
        }

        return await _store.ReadAsync(
            async db =>
            {
                await LoadForParticipantAsync(db, id, me).ConfigureAwait(false);
                string? cursor = before ?? after;
                if (cursor is not null)
                {
                    MessageRow? row = await db.FindMessageAsync(cursor).ConfigureAwait(false);
                    if (row is null || row.Message.ConversationId != id)
                    {
                        throw Invalid("The cursor is not a message of this conversation", cursor);
                    }
                }

                if (after is null)
                {
                    return await db.HistoryBeforeAsync(id, before, limit).ConfigureAwait(false);
                }

                List<Message> newer = await db.HistoryAfterAsync(id, after, limit).ConfigureAwait(false);
                newer.Reverse();
                return newer;
            },
            ct).ConfigureAwait(false);
    }

    public async Task<Message> GetMessageAsync(string userId, string messageId, CancellationToken ct = default)
    {
        string me = Id(userId, "userId");
        string id = Id(messageId, "messageId");
        return await _store.ReadAsync(db => LoadMessageForParticipantAsync(db, id, me), ct).ConfigureAwait(false);
    }

    public async Task<Message> DeleteMessageAsync(string userId, string messageId, CancellationToken ct = default)
    {
        string me = Id(userId, "userId");
        string id = Id(messageId, "messageId");
        return await _store.WriteAsync(
            async db =>
            {
                Message message = await LoadMessageForParticipantAsync(db, id, me).ConfigureAwait(false);
                if (message.SenderId != me)
                {
                    throw Denied("Only the sender can delete this message");
                }

                DateTimeOffset now = Now();
                await db.SoftDeleteMessageAsync(id, now).ConfigureAwait(false);
                return message with { UpdatedAt = now };
            },
            ct).ConfigureAwait(false);
    }

    // ---------------------------------------------------------------- friends

    public async Task<IReadOnlyList<Friendship>> ListFriendsAsync(string userId, CancellationToken ct = default)
    {
        string me = Id(userId, "userId");
        return await _store.ReadAsync(db => db.ListFriendsAsync(me), ct).ConfigureAwait(false);
    }

    /// <summary>Pending requests only, newest first.</summary>
    public async Task<FriendRequests> GetFriendRequestsAsync(string userId, CancellationToken ct = default)
    {
        string me = Id(userId, "userId");
        return await _store.ReadAsync(
            async db =>
            {
                List<FriendRequestRow> sent = await db.ListPendingRequestsAsync(me, sent: true).ConfigureAwait(false);
                List<FriendRequestRow> received = await db.ListPendingRequestsAsync(me, sent: false).ConfigureAwait(false);
                return new FriendRequests(sent.ConvertAll(r => r.Request), received.ConvertAll(r => r.Request));
            },
            ct).ConfigureAwait(false);
    }

    /// <summary>Conflict (message contains "already") when already friends or a request is pending in either direction.</summary>
    public async Task<FriendRequest> SendFriendRequestAsync(string userId, string toUserId, CancellationToken ct = default)
    {
        string me = Id(userId, "userId");
        string to = Id(toUserId, "toUserId");
        if (me == to)
        {
            throw Invalid("You cannot send a friend request to yourself");
        }

        try
        {
            return await _store.WriteAsync(
                async db =>
                {
                    await RequireUsersAsync(db, [me, to]).ConfigureAwait(false);
                    if (await db.AreFriendsAsync(me, to).ConfigureAwait(false))
                    {
                        throw Conflict("You are already friends with this user");
                    }

                    if (await db.HasPendingRequestAsync(ChatQueries.PairKey(me, to)).ConfigureAwait(false))
                    {
                        throw Conflict("A friend request is already pending between you and this user");
                    }

                    DateTimeOffset now = Now();
                    string requestId = ObjectIds.NewId(now);
                    await db.InsertFriendRequestAsync(requestId, me, to, now).ConfigureAwait(false);
                    return (await db.FindFriendRequestAsync(requestId).ConfigureAwait(false))!.Request;
                },
                ct).ConfigureAwait(false);
        }
        catch (DbException ex) when (_store.IsUniqueViolation(ex))
        {
            throw Conflict("A friend request is already pending between you and this user");
        }
    }

    /// <summary>
    /// Recipient only, pending only. Friendship, request status and the direct conversation (owner: the requester;
    /// the pair's live DM is reused) commit together.
    /// </summary>
    public async Task<(FriendRequest Request, string ConversationId)> AcceptFriendRequestAsync(string userId, string requestId, CancellationToken ct = default)
    {
        string me = Id(userId, "userId");
        string id = Id(requestId, "requestId");
        (FriendRequest request, string conversationId) = await _store.WriteAsync(
            async db =>
            {
                FriendRequest pending = await LoadPendingRequestForRecipientAsync(db, id, me, "accept").ConfigureAwait(false);
                DateTimeOffset now = Now();
                await db.SetFriendRequestStatusAsync(id, FriendRequestStatus.Accepted, now).ConfigureAwait(false);
                await db.InsertFriendshipAsync(ObjectIds.NewId(now), pending.FromUser.Id, me, now).ConfigureAwait(false);
                Conversation dm = await GetOrCreateDirectAsync(db, pending.FromUser.Id, me, "").ConfigureAwait(false);
                return (pending with { Status = FriendRequestStatus.Accepted }, dm.Id);
            },
            ct).ConfigureAwait(false);
        ChatLog.FriendRequestAccepted(_logger, id, conversationId);
        return (request, conversationId);
    }

    public async Task<FriendRequest> DeclineFriendRequestAsync(string userId, string requestId, CancellationToken ct = default)
    {
        string me = Id(userId, "userId");
        string id = Id(requestId, "requestId");
        return await _store.WriteAsync(
            async db =>
            {
                FriendRequest pending = await LoadPendingRequestForRecipientAsync(db, id, me, "decline").ConfigureAwait(false);
                await db.SetFriendRequestStatusAsync(id, FriendRequestStatus.Declined, Now()).ConfigureAwait(false);
                return pending with { Status = FriendRequestStatus.Declined };
            },
            ct).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<string>> GetContactIdsAsync(string userId, CancellationToken ct = default)
    {
        string me = Id(userId, "userId");
        return await _store.ReadAsync(db => db.ContactIdsAsync(me), ct).ConfigureAwait(false);
    }

    // ---------------------------------------------------------------- shared checks

    // Stored times have millisecond precision; returning the same precision keeps results equal to what is re-read.
    private DateTimeOffset Now() => DateTimeOffset.FromUnixTimeMilliseconds(_time.GetUtcNow().ToUnixTimeMilliseconds());

    private static string DisplayName(Conversation conversation, User? other) =>
        conversation.Type == ConversationType.Direct && other is not null ? other.Email : conversation.Name;

    private static async Task<Conversation> LoadForParticipantAsync(DbSession db, string conversationId, string userId)
    {
        ConversationRow? row = await db.FindConversationAsync(conversationId).ConfigureAwait(false);
        if (row is null || row.Deleted)
        {
            throw NotFound("Conversation not found");
        }

        if (await db.FindParticipantAsync(conversationId, userId).ConfigureAwait(false) is null)
        {
            throw Denied("You are not a participant of this conversation");
        }

        return row.Conversation;
    }

    private static async Task<Message> LoadMessageForParticipantAsync(DbSession db, string messageId, string userId)
    {
        MessageRow? row = await db.FindMessageAsync(messageId).ConfigureAwait(false);
        if (row is null || row.Deleted)
        {
            throw NotFound("Message not found");
        }

        ConversationRow? conversation = await db.FindConversationAsync(row.Message.ConversationId).ConfigureAwait(false);
        if (conversation is null || conversation.Deleted)
        {
            throw NotFound("Message not found");
        }

        if (await db.FindParticipantAsync(conversation.Conversation.Id, userId).ConfigureAwait(false) is null)
        {
            throw Denied("You are not a participant of this conversation");
        }

        return row.Message;
    }

    private static async Task<FriendRequest> LoadPendingRequestForRecipientAsync(DbSession db, string requestId, string userId, string verb)
    {
        FriendRequestRow row = await db.FindFriendRequestAsync(requestId).ConfigureAwait(false) ?? throw NotFound("Friend request not found");
        FriendRequest request = row.Request;
        if (request.ToUser.Id != userId)
        {
            throw Denied($"Only the recipient can {verb} this friend request");
        }

        return request.Status switch
        {
            FriendRequestStatus.Pending => request,
            FriendRequestStatus.Accepted => throw Conflict("Friend request was already accepted"),
            _ => throw Conflict("Friend request was already declined"),
        };
    }

    private static async Task RequireUsersAsync(DbSession db, IReadOnlyList<string> ids)
    {
        HashSet<string> found = await db.ExistingUserIdsAsync(ids).ConfigureAwait(false);
        string[] missing = ids.Where(id => !found.Contains(id)).Distinct().ToArray();
        if (missing.Length > 0)
        {
            throw NotFound(missing.Length == 1 ? "User not found" : "Some users were not found", string.Join(",", missing));
        }
    }

    private async Task RequireFriendsIfConfiguredAsync(DbSession db, string me, IReadOnlyList<string> others)
    {
        if (!_options.GroupInvitesFriendsOnly)
        {
            return;
        }

        foreach (string other in others)
        {
            if (!await db.AreFriendsAsync(me, other).ConfigureAwait(false))
            {
                throw Denied("Only your friends can be added to a group");
            }
        }
    }

    private async Task<Conversation> GetOrCreateDirectAsync(DbSession db, string ownerId, string otherId, string name)
    {
        string key = ChatQueries.PairKey(ownerId, otherId);
        if (await db.FindDirectConversationAsync(key).ConfigureAwait(false) is { } existing)
        {
            return existing.Conversation;
        }

        DateTimeOffset now = Now();
        var conversation = new Conversation(ObjectIds.NewId(now), name, ConversationType.Direct, ownerId, null, now, now);
        await db.InsertConversationAsync(conversation, key).ConfigureAwait(false);
        await db.InsertParticipantAsync(conversation.Id, ownerId, now).ConfigureAwait(false);
        await db.InsertParticipantAsync(conversation.Id, otherId, now).ConfigureAwait(false);
        return conversation;
    }
}
