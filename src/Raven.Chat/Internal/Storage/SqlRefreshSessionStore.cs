using System.Data.Common;

namespace Raven.Chat.Internal.Storage;

/// <summary>
/// Refresh sessions in the chat database. Rotation is one conditional UPDATE plus the INSERT of the successor
/// in one transaction, so two concurrent refreshes with the same token cannot both win.
/// </summary>
internal sealed class SqlRefreshSessionStore(SqlStore store, TimeProvider time) : IRefreshSessionStore
{
    private const string Columns = "id, user_id, family_id, token_hash, created_at, expires_at, rotated_at, revoked_at";

    public Task CreateAsync(RefreshSession session, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        return store.WriteAsync(db => InsertAsync(db, session), ct);
    }

    public Task<RefreshSession?> FindByTokenHashAsync(string tokenHash, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(tokenHash);
        return store.ReadAsync(db => db.QueryFirstAsync($"SELECT {Columns} FROM refresh_sessions WHERE token_hash = @h", Read, ("@h", tokenHash)), ct);
    }

    /// <summary>Also false when the old session has expired (at <c>next.CreatedAt</c>) or does not exist.</summary>
    public Task<bool> RotateAsync(string oldTokenHash, RefreshSession next, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(oldTokenHash);
        ArgumentNullException.ThrowIfNull(next);
        return store.WriteAsync(
            async db =>
            {
                long at = next.CreatedAt.ToUnixTimeMilliseconds();
                int claimed = await db.ExecuteAsync(
                    """
                    UPDATE refresh_sessions SET rotated_at = @at
                    WHERE token_hash = @h AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > @at
                    """,
                    ("@h", oldTokenHash), ("@at", at)).ConfigureAwait(false);
                if (claimed == 0)
                {
                    return false;
                }

                await InsertAsync(db, next).ConfigureAwait(false);
                return true;
            },
            ct);
    }

    public Task RevokeFamilyAsync(string familyId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(familyId);
        return store.WriteAsync(
            db => db.ExecuteAsync("UPDATE refresh_sessions SET revoked_at = @now WHERE family_id = @f AND revoked_at IS NULL",
                ("@f", familyId), ("@now", time.GetUtcNow().ToUnixTimeMilliseconds())),
            ct);
    }

    public Task RevokeAllForUserAsync(string userId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(userId);
        return store.WriteAsync(
            db => db.ExecuteAsync("UPDATE refresh_sessions SET revoked_at = @now WHERE user_id = @u AND revoked_at IS NULL",
                ("@u", userId), ("@now", time.GetUtcNow().ToUnixTimeMilliseconds())),
            ct);
    }

    public Task<int> PruneExpiredAsync(CancellationToken ct = default) =>
        store.WriteAsync(
            db => db.ExecuteAsync("DELETE FROM refresh_sessions WHERE expires_at <= @now", ("@now", time.GetUtcNow().ToUnixTimeMilliseconds())),
            ct);

    private static Task<int> InsertAsync(DbSession db, RefreshSession s) =>
        db.ExecuteAsync(
            $"INSERT INTO refresh_sessions ({Columns}) VALUES (@id, @u, @f, @h, @created, @expires, @rotated, @revoked)",
            ("@id", s.Id), ("@u", s.UserId), ("@f", s.FamilyId), ("@h", s.TokenHash),
            ("@created", s.CreatedAt.ToUnixTimeMilliseconds()), ("@expires", s.ExpiresAt.ToUnixTimeMilliseconds()),
            ("@rotated", s.RotatedAt?.ToUnixTimeMilliseconds()), ("@revoked", s.RevokedAt?.ToUnixTimeMilliseconds()));

    private static RefreshSession Read(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetTimestamp(4), r.GetTimestamp(5),
            r.GetNullableTimestamp(6), r.GetNullableTimestamp(7));
}
