using System.Data.Common;
using System.Text;

namespace Raven.Chat.Internal.Storage;

internal sealed record UserCredentials(User User, string PasswordHash);

internal sealed record ConversationRow(Conversation Conversation, string? DirectKey, bool Deleted);

internal sealed record ParticipantRow(string UserId, DateTimeOffset JoinedAt, int UnreadCount, DateTimeOffset? LastReadAt);

internal sealed record MessageRow(Message Message, bool Deleted, long Seq);

internal sealed record SummaryRow(Conversation Conversation, int UnreadCount, DateTimeOffset? LastReadAt, string? LastMessageId);

internal sealed record FriendRequestRow(FriendRequest Request, string PairKey);

/// <summary>
/// The chat's SQL, kept portable (named parameters, LIMIT, partial unique indexes, ON CONFLICT DO NOTHING,
/// integer booleans/enums and unix-millisecond times) so another <see cref="SqlStore"/> can run it unchanged.
/// No rules here: <see cref="ChatService"/> decides, these only read and write rows.
/// </summary>
/// <remarks>
/// History is ordered by <c>messages.seq</c>, a per-conversation number taken from <c>conversations.last_seq</c> in
/// the send transaction. That UPDATE locks the conversation row until commit, so on every engine seq order is commit
/// order per conversation and an <c>after</c> reader can never see seq n+1 without n (gap-free across nodes).
/// Ids are compared as text only for equality; the PostgreSQL schema still declares them <c>COLLATE "C"</c>.
/// </remarks>
internal static class ChatQueries
{
    private const string UserColumns = "u.id, u.username, u.email, u.avatar, u.created_at";
    private const string ConversationColumns = "c.id, c.name, c.type, c.owner_id, c.avatar, c.created_at, c.updated_at, c.direct_key, c.deleted_at";
    private const string MessageColumns = "m.id, m.conversation_id, m.sender_id, su.username, su.avatar, m.text, m.url, m.file_name, m.created_at, m.updated_at, m.deleted_at, m.seq";
    private const string MessageFrom = "messages m JOIN users su ON su.id = m.sender_id";

    public static long ToUnixMs(DateTimeOffset value) => value.ToUnixTimeMilliseconds();

    /// <summary>Order-independent key of a user pair (direct conversations, friendships, pending requests).</summary>
    public static string PairKey(string a, string b) =>
        string.CompareOrdinal(a, b) < 0 ? $"{a}:{b}" : $"{b}:{a}";

    // ---- users ----

    public static Task<User?> FindUserAsync(this DbSession db, string id) =>
        db.QueryFirstAsync($"SELECT {UserColumns} FROM users u WHERE u.id = @id", r => ReadUser(r, 0), ("@id", id));

    public static Task<UserCredentials?> FindCredentialsByEmailAsync(this DbSession db, string email) =>
        db.QueryFirstAsync($"SELECT {UserColumns}, u.password_hash FROM users u WHERE u.email = @e",
            r => new UserCredentials(ReadUser(r, 0), r.GetString(5)), ("@e", email));

    public static Task<UserCredentials?> FindCredentialsByIdAsync(this DbSession db, string id) =>
        db.QueryFirstAsync($"SELECT {UserColumns}, u.password_hash FROM users u WHERE u.id = @id",
            r => new UserCredentials(ReadUser(r, 0), r.GetString(5)), ("@id", id));

    public static async Task<bool> EmailExistsAsync(this DbSession db, string email) =>
        await db.ScalarInt64Async("SELECT 1 FROM users WHERE email = @e", ("@e", email)).ConfigureAwait(false) is not null;

    public static async Task<bool> UsernameTakenAsync(this DbSession db, string usernameKey, string? exceptUserId)
    {
        List<string> owners = await db.QueryAsync("SELECT id FROM users WHERE username_key = @k", r => r.GetString(0), ("@k", usernameKey))
            .ConfigureAwait(false);
        return owners.Exists(id => id != exceptUserId);
    }

    public static Task<int> InsertUserAsync(this DbSession db, User user, string usernameKey, string passwordHash) =>
        db.ExecuteAsync(
            """
            INSERT INTO users (id, username, username_key, email, password_hash, avatar, created_at, updated_at)
            VALUES (@id, @name, @key, @email, @hash, @avatar, @at, @at)
            """,
            ("@id", user.Id), ("@name", user.Username), ("@key", usernameKey), ("@email", user.Email),
            ("@hash", passwordHash), ("@avatar", user.Avatar), ("@at", ToUnixMs(user.CreatedAt)));

    public static Task<int> UpdateUserAsync(this DbSession db, User user, string usernameKey, string passwordHash, DateTimeOffset now) =>
        db.ExecuteAsync(
            "UPDATE users SET username = @name, username_key = @key, avatar = @avatar, password_hash = @hash, updated_at = @now WHERE id = @id",
            ("@id", user.Id), ("@name", user.Username), ("@key", usernameKey), ("@avatar", user.Avatar),
            ("@hash", passwordHash), ("@now", ToUnixMs(now)));

    public static Task<int> UpdatePasswordHashAsync(this DbSession db, string userId, string passwordHash) =>
        db.ExecuteAsync("UPDATE users SET password_hash = @hash WHERE id = @id", ("@id", userId), ("@hash", passwordHash));

    /// <param name="term">Already lower-cased.</param>
    public static Task<List<User>> SearchUsersAsync(this DbSession db, string term, int limit)
    {
        string pattern = "%" + EscapeLike(term) + "%";
        return db.QueryAsync(
            $"""
            SELECT {UserColumns} FROM users u
            WHERE u.username_key LIKE @p ESCAPE '\' OR u.email LIKE @p ESCAPE '\'
            ORDER BY u.username_key, u.id
            LIMIT @limit
            """,
            r => ReadUser(r, 0), ("@p", pattern), ("@limit", limit));
    }

    public static Task<List<User>> SearchUsersByUsernamePrefixAsync(this DbSession db, string term, int limit) =>
        db.QueryAsync(
            $"""
            SELECT {UserColumns} FROM users u
            WHERE u.username_key LIKE @p ESCAPE '\'
            ORDER BY u.username_key, u.id
            LIMIT @limit
            """,
            r => ReadUser(r, 0), ("@p", EscapeLike(term) + "%"), ("@limit", limit));

    public static async Task<HashSet<string>> ExistingUserIdsAsync(this DbSession db, IReadOnlyList<string> ids)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (string id in await db.QueryInAsync("SELECT id FROM users WHERE id IN ({0})", ids, r => r.GetString(0)).ConfigureAwait(false))
        {
            found.Add(id);
        }

        return found;
    }

    // ---- conversations ----

    /// <summary>Also returns deleted conversations (flagged), so callers can tell "deleted" from "never existed" if they wish.</summary>
    public static Task<ConversationRow?> FindConversationAsync(this DbSession db, string id) =>
        db.QueryFirstAsync($"SELECT {ConversationColumns} FROM conversations c WHERE c.id = @id", ReadConversation, ("@id", id));

    public static Task<ConversationRow?> FindDirectConversationAsync(this DbSession db, string directKey) =>
        db.QueryFirstAsync($"SELECT {ConversationColumns} FROM conversations c WHERE c.direct_key = @k AND c.deleted_at IS NULL",
            ReadConversation, ("@k", directKey));

    public static Task<int> InsertConversationAsync(this DbSession db, Conversation conversation, string? directKey) =>
        db.ExecuteAsync(
            """
            INSERT INTO conversations (id, name, type, owner_id, avatar, direct_key, created_at, updated_at, last_activity_at, deleted_at)
            VALUES (@id, @name, @type, @owner, @avatar, @key, @created, @updated, @created, NULL)
            """,
            ("@id", conversation.Id), ("@name", conversation.Name), ("@type", (int)conversation.Type),
            ("@owner", conversation.OwnerId), ("@avatar", conversation.Avatar), ("@key", directKey),
            ("@created", ToUnixMs(conversation.CreatedAt)), ("@updated", ToUnixMs(conversation.UpdatedAt)));

    public static Task<int> UpdateConversationAsync(this DbSession db, string id, string name, string? avatar, DateTimeOffset now) =>
        db.ExecuteAsync("UPDATE conversations SET name = @name, avatar = @avatar, updated_at = @now WHERE id = @id",
            ("@id", id), ("@name", name), ("@avatar", avatar), ("@now", ToUnixMs(now)));

    public static Task<int> SetOwnerAsync(this DbSession db, string id, string ownerId, DateTimeOffset now) =>
        db.ExecuteAsync("UPDATE conversations SET owner_id = @owner, updated_at = @now WHERE id = @id",
            ("@id", id), ("@owner", ownerId), ("@now", ToUnixMs(now)));

    /// <summary>Frees the user pair so a new direct conversation can be made after one side left.</summary>
    public static Task<int> ClearDirectKeyAsync(this DbSession db, string id) =>
        db.ExecuteAsync("UPDATE conversations SET direct_key = NULL WHERE id = @id", ("@id", id));

    public static Task<int> SoftDeleteConversationAsync(this DbSession db, string id, DateTimeOffset now) =>
        db.ExecuteAsync("UPDATE conversations SET deleted_at = @now, updated_at = @now WHERE id = @id AND deleted_at IS NULL",
            ("@id", id), ("@now", ToUnixMs(now)));

    public static Task<ParticipantRow?> FindParticipantAsync(this DbSession db, string conversationId, string userId) =>
        db.QueryFirstAsync(
            "SELECT user_id, joined_at, unread_count, last_read_at FROM participants WHERE conversation_id = @c AND user_id = @u",
            ReadParticipant, ("@c", conversationId), ("@u", userId));

    /// <summary>Oldest member first (join time, then id for members added together).</summary>
    public static Task<List<ParticipantRow>> ListParticipantsAsync(this DbSession db, string conversationId) =>
        db.QueryAsync(
            "SELECT user_id, joined_at, unread_count, last_read_at FROM participants WHERE conversation_id = @c ORDER BY joined_at, user_id",
            ReadParticipant, ("@c", conversationId));

    public static Task<List<User>> ListMembersAsync(this DbSession db, string conversationId) =>
        db.QueryAsync(
            $"SELECT {UserColumns} FROM participants p JOIN users u ON u.id = p.user_id WHERE p.conversation_id = @c ORDER BY p.joined_at, p.user_id",
            r => ReadUser(r, 0), ("@c", conversationId));

    public static Task<int> InsertParticipantAsync(this DbSession db, string conversationId, string userId, DateTimeOffset joinedAt) =>
        db.ExecuteAsync(
            "INSERT INTO participants (conversation_id, user_id, joined_at, unread_count, last_read_at) VALUES (@c, @u, @at, 0, NULL)",
            ("@c", conversationId), ("@u", userId), ("@at", ToUnixMs(joinedAt)));

    public static Task<int> DeleteParticipantAsync(this DbSession db, string conversationId, string userId) =>
        db.ExecuteAsync("DELETE FROM participants WHERE conversation_id = @c AND user_id = @u", ("@c", conversationId), ("@u", userId));

    public static Task<int> MarkReadAsync(this DbSession db, string conversationId, string userId, DateTimeOffset now) =>
        db.ExecuteAsync("UPDATE participants SET unread_count = 0, last_read_at = @now WHERE conversation_id = @c AND user_id = @u",
            ("@c", conversationId), ("@u", userId), ("@now", ToUnixMs(now)));

    /// <summary>The user's live conversations, most recent activity first, with the newest visible message id.</summary>
    public static Task<List<SummaryRow>> ListSummariesAsync(this DbSession db, string userId) =>
        db.QueryAsync(
            $"""
            SELECT {ConversationColumns}, p.unread_count, p.last_read_at,
                   (SELECT m.id FROM messages m
                    WHERE m.conversation_id = c.id AND m.deleted_at IS NULL
                    ORDER BY m.seq DESC LIMIT 1) AS last_message_id
            FROM participants p JOIN conversations c ON c.id = p.conversation_id
            WHERE p.user_id = @u AND c.deleted_at IS NULL
            ORDER BY c.last_activity_at DESC, c.id DESC
            """,
            r => new SummaryRow(ReadConversation(r).Conversation, r.GetInt32(9), r.GetNullableTimestamp(10), r.GetNullableString(11)),
            ("@u", userId));

    /// <summary>For each live direct conversation of the user: the other participant.</summary>
    public static async Task<Dictionary<string, User>> DirectPartnersAsync(this DbSession db, string userId)
    {
        var rows = await db.QueryAsync(
            $"""
            SELECT p.conversation_id, {UserColumns}
            FROM participants me
            JOIN conversations c ON c.id = me.conversation_id
            JOIN participants p ON p.conversation_id = me.conversation_id AND p.user_id <> me.user_id
            JOIN users u ON u.id = p.user_id
            WHERE me.user_id = @u AND c.type = @direct AND c.deleted_at IS NULL
            """,
            r => (ConversationId: r.GetString(0), User: ReadUser(r, 1)),
            ("@u", userId), ("@direct", (int)ConversationType.Direct)).ConfigureAwait(false);
        var partners = new Dictionary<string, User>(StringComparer.Ordinal);
        foreach (var (conversationId, user) in rows)
        {
            partners[conversationId] = user;
        }

        return partners;
    }

    // ---- messages ----

    /// <summary>
    /// Stores a message as the conversation's next one: takes the next sequence number (locking the conversation row
    /// until commit, which orders concurrent sends on every engine), moves the conversation up the sidebar and gives
    /// everyone but the sender one more unread message. False, with nothing written, when the conversation is missing
    /// or deleted or the sender is not a participant: the check is part of the same statement, so it costs no extra
    /// round trip and needs no cache that other nodes would have to invalidate.
    /// </summary>
    public static async Task<bool> InsertMessageAsync(this DbSession db, Message message)
    {
        long at = ToUnixMs(message.CreatedAt);
        long? seq = await db.ScalarInt64Async(
            """
            UPDATE conversations
            SET last_seq = last_seq + 1,
                last_activity_at = CASE WHEN last_activity_at < @at THEN @at ELSE last_activity_at END
            WHERE id = @c AND deleted_at IS NULL
              AND EXISTS (SELECT 1 FROM participants p WHERE p.conversation_id = @c AND p.user_id = @s)
            RETURNING last_seq
            """,
            ("@c", message.ConversationId), ("@s", message.SenderId), ("@at", at)).ConfigureAwait(false);
        if (seq is null)
        {
            return false;
        }

        await db.ExecuteAsync(
            """
            INSERT INTO messages (id, conversation_id, sender_id, text, url, file_name, created_at, updated_at, deleted_at, seq)
            VALUES (@id, @c, @s, @text, @url, @file, @at, @at, NULL, @seq)
            """,
            ("@id", message.Id), ("@c", message.ConversationId), ("@s", message.SenderId), ("@text", message.Text),
            ("@url", message.Url), ("@file", message.FileName), ("@at", at), ("@seq", seq.Value)).ConfigureAwait(false);
        await db.ExecuteAsync("UPDATE participants SET unread_count = unread_count + 1 WHERE conversation_id = @c AND user_id <> @s",
            ("@c", message.ConversationId), ("@s", message.SenderId)).ConfigureAwait(false);
        return true;
    }

    public static Task<MessageRow?> FindMessageAsync(this DbSession db, string id) =>
        db.QueryFirstAsync($"SELECT {MessageColumns} FROM {MessageFrom} WHERE m.id = @id", ReadMessage, ("@id", id));

    public static Task<List<Message>> FindMessagesAsync(this DbSession db, IReadOnlyList<string> ids) =>
        db.QueryInAsync($"SELECT {MessageColumns} FROM {MessageFrom} WHERE m.id IN ({{0}})", ids, r => ReadMessage(r).Message);

    /// <summary>Visible messages older than <paramref name="before"/> (or the newest), newest first.</summary>
    public static Task<List<Message>> HistoryBeforeAsync(this DbSession db, string conversationId, string? before, int limit) =>
        db.QueryAsync(
            $"""
            SELECT {MessageColumns} FROM {MessageFrom}
            WHERE m.conversation_id = @c AND m.deleted_at IS NULL
                  {(before is null ? "" : "AND m.seq < (SELECT b.seq FROM messages b WHERE b.id = @before)")}
            ORDER BY m.seq DESC
            LIMIT @limit
            """,
            r => ReadMessage(r).Message, ("@c", conversationId), ("@before", before ?? ""), ("@limit", limit));

    /// <summary>The oldest visible messages newer than <paramref name="after"/>, oldest first.</summary>
    public static Task<List<Message>> HistoryAfterAsync(this DbSession db, string conversationId, string after, int limit) =>
        db.QueryAsync(
            $"""
            SELECT {MessageColumns} FROM {MessageFrom}
            WHERE m.conversation_id = @c AND m.deleted_at IS NULL
                  AND m.seq > (SELECT a.seq FROM messages a WHERE a.id = @after)
            ORDER BY m.seq ASC
            LIMIT @limit
            """,
            r => ReadMessage(r).Message, ("@c", conversationId), ("@after", after), ("@limit", limit));

    public static Task<int> SoftDeleteMessageAsync(this DbSession db, string id, DateTimeOffset now) =>
        db.ExecuteAsync("UPDATE messages SET deleted_at = @now, updated_at = @now WHERE id = @id AND deleted_at IS NULL",
            ("@id", id), ("@now", ToUnixMs(now)));

    // ---- friends ----

    public static Task<FriendRequestRow?> FindFriendRequestAsync(this DbSession db, string id) =>
        db.QueryFirstAsync(FriendRequestSelect + " WHERE fr.id = @id", ReadFriendRequest, ("@id", id));

    public static Task<List<FriendRequestRow>> ListPendingRequestsAsync(this DbSession db, string userId, bool sent) =>
        db.QueryAsync(
            FriendRequestSelect + (sent ? " WHERE fr.from_user_id = @u" : " WHERE fr.to_user_id = @u") + " AND fr.status = 0 ORDER BY fr.id DESC",
            ReadFriendRequest, ("@u", userId));

    public static async Task<bool> HasPendingRequestAsync(this DbSession db, string pairKey) =>
        await db.ScalarInt64Async("SELECT 1 FROM friend_requests WHERE pair_key = @k AND status = 0", ("@k", pairKey)).ConfigureAwait(false) is not null;

    public static Task<int> InsertFriendRequestAsync(this DbSession db, string id, string fromUserId, string toUserId, DateTimeOffset now) =>
        db.ExecuteAsync(
            """
            INSERT INTO friend_requests (id, from_user_id, to_user_id, pair_key, status, created_at, updated_at)
            VALUES (@id, @from, @to, @k, 0, @now, @now)
            """,
            ("@id", id), ("@from", fromUserId), ("@to", toUserId), ("@k", PairKey(fromUserId, toUserId)), ("@now", ToUnixMs(now)));

    /// <summary>Moves a pending request on; 0 rows when it was no longer pending.</summary>
    public static Task<int> SetFriendRequestStatusAsync(this DbSession db, string id, FriendRequestStatus status, DateTimeOffset now) =>
        db.ExecuteAsync("UPDATE friend_requests SET status = @s, updated_at = @now WHERE id = @id AND status = 0",
            ("@id", id), ("@s", (int)status), ("@now", ToUnixMs(now)));

    public static async Task<bool> AreFriendsAsync(this DbSession db, string a, string b)
    {
        (string low, string high) = Order(a, b);
        return await db.ScalarInt64Async("SELECT 1 FROM friendships WHERE user_low = @l AND user_high = @h", ("@l", low), ("@h", high))
            .ConfigureAwait(false) is not null;
    }

    public static Task<int> InsertFriendshipAsync(this DbSession db, string id, string a, string b, DateTimeOffset now)
    {
        (string low, string high) = Order(a, b);
        return db.ExecuteAsync(
            "INSERT INTO friendships (id, user_low, user_high, created_at) VALUES (@id, @l, @h, @now) ON CONFLICT (user_low, user_high) DO NOTHING",
            ("@id", id), ("@l", low), ("@h", high), ("@now", ToUnixMs(now)));
    }

    public static Task<List<Friendship>> ListFriendsAsync(this DbSession db, string userId) =>
        db.QueryAsync(
            $"""
            SELECT f.id, f.created_at, {UserColumns}
            FROM friendships f
            JOIN users u ON u.id = CASE WHEN f.user_low = @u THEN f.user_high ELSE f.user_low END
            WHERE f.user_low = @u OR f.user_high = @u
            ORDER BY u.username_key, u.id
            """,
            r =>
            {
                User friend = ReadUser(r, 2);
                return new Friendship(r.GetString(0), userId, friend.Id, friend, r.GetTimestamp(1));
            },
            ("@u", userId));

    /// <summary>Friends plus everyone sharing a live conversation, without the user.</summary>
    public static Task<List<string>> ContactIdsAsync(this DbSession db, string userId) =>
        db.QueryAsync(
            """
            SELECT f.user_high FROM friendships f WHERE f.user_low = @u
            UNION
            SELECT f.user_low FROM friendships f WHERE f.user_high = @u
            UNION
            SELECT other.user_id
            FROM participants me
            JOIN conversations c ON c.id = me.conversation_id AND c.deleted_at IS NULL
            JOIN participants other ON other.conversation_id = me.conversation_id AND other.user_id <> @u
            WHERE me.user_id = @u
            """,
            r => r.GetString(0), ("@u", userId));

    // ---- mapping ----

    private const string FriendRequestSelect =
        """
        SELECT fr.id, fr.status, fr.created_at, fr.pair_key,
               fu.id, fu.username, fu.email, fu.avatar, fu.created_at,
               tu.id, tu.username, tu.email, tu.avatar, tu.created_at
        FROM friend_requests fr
        JOIN users fu ON fu.id = fr.from_user_id
        JOIN users tu ON tu.id = fr.to_user_id
        """;

    /// <summary>Runs <paramref name="sqlFormat"/> with its <c>{0}</c> replaced by a parameter list, in chunks that stay
    /// far below any dialect's parameter limit.</summary>
    private static async Task<List<T>> QueryInAsync<T>(this DbSession db, string sqlFormat, IReadOnlyList<string> values, Func<DbDataReader, T> map)
    {
        const int Chunk = 200;
        var results = new List<T>(values.Count);
        for (int start = 0; start < values.Count; start += Chunk)
        {
            int count = Math.Min(Chunk, values.Count - start);
            var parameters = new (string, object?)[count];
            var names = new StringBuilder();
            for (int i = 0; i < count; i++)
            {
                names.Append(i == 0 ? "@p" : ", @p").Append(i);
                parameters[i] = ("@p" + i, values[start + i]);
            }

            string sql = string.Format(System.Globalization.CultureInfo.InvariantCulture, sqlFormat, names);
            results.AddRange(await db.QueryAsync(sql, map, parameters).ConfigureAwait(false));
        }

        return results;
    }

    private static (string Low, string High) Order(string a, string b) => string.CompareOrdinal(a, b) < 0 ? (a, b) : (b, a);

    private static string EscapeLike(string term) =>
        term.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal);

    private static User ReadUser(DbDataReader r, int o) =>
        new(r.GetString(o), r.GetString(o + 1), r.GetString(o + 2), r.GetNullableString(o + 3), r.GetTimestamp(o + 4));

    private static ConversationRow ReadConversation(DbDataReader r) =>
        new(
            new Conversation(r.GetString(0), r.GetString(1), (ConversationType)r.GetInt32(2), r.GetString(3), r.GetNullableString(4),
                r.GetTimestamp(5), r.GetTimestamp(6)),
            r.GetNullableString(7),
            !r.IsDBNull(8));

    private static ParticipantRow ReadParticipant(DbDataReader r) =>
        new(r.GetString(0), r.GetTimestamp(1), r.GetInt32(2), r.GetNullableTimestamp(3));

    private static MessageRow ReadMessage(DbDataReader r) =>
        new(
            new Message(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetNullableString(4), r.GetNullableString(5),
                r.GetNullableString(6), r.GetNullableString(7), r.GetTimestamp(8), r.GetTimestamp(9)),
            !r.IsDBNull(10),
            r.GetInt64(11));

    private static FriendRequestRow ReadFriendRequest(DbDataReader r) =>
        new(
            new FriendRequest(r.GetString(0), ReadUser(r, 4), ReadUser(r, 9), (FriendRequestStatus)r.GetInt32(1), r.GetTimestamp(2)),
            r.GetString(3));
}
