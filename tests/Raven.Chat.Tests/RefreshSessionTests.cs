namespace Raven.Chat.Tests;

public abstract class RefreshSessionTests(StoreKind store) : ChatTestBase(store)
{
    private IRefreshSessionStore Store => new Internal.Storage.SqlRefreshSessionStore(Chat.Database.Store, TimeProvider.System);

    private static RefreshSession NewSession(string userId, string family, string hash, DateTimeOffset? now = null)
    {
        DateTimeOffset at = DateTimeOffset.FromUnixTimeMilliseconds((now ?? DateTimeOffset.UtcNow).ToUnixTimeMilliseconds());
        return new RefreshSession(ObjectIds.NewId(), userId, family, hash, at, at.AddDays(30), null, null);
    }

    [Fact]
    public async Task Create_and_find_by_hash()
    {
        RefreshSession session = NewSession("u1", "f1", "h1");
        await Store.CreateAsync(session);
        Assert.Equal(session, await Store.FindByTokenHashAsync("h1"));
        Assert.Null(await Store.FindByTokenHashAsync("unknown"));
    }

    [Fact]
    public async Task Rotate_marks_old_and_stores_next_once()
    {
        await Store.CreateAsync(NewSession("u1", "f1", "h1"));
        RefreshSession next = NewSession("u1", "f1", "h2");
        Assert.True(await Store.RotateAsync("h1", next));

        RefreshSession? old = await Store.FindByTokenHashAsync("h1");
        Assert.Equal(next.CreatedAt, old?.RotatedAt);
        Assert.Equal(next, await Store.FindByTokenHashAsync("h2"));

        // Reuse of the rotated token: rotation refuses and stores nothing.
        Assert.False(await Store.RotateAsync("h1", NewSession("u1", "f1", "h3")));
        Assert.Null(await Store.FindByTokenHashAsync("h3"));
        Assert.False(await Store.RotateAsync("never-issued", NewSession("u1", "f1", "h4")));
        Assert.Null(await Store.FindByTokenHashAsync("h4"));
    }

    [Fact]
    public async Task Reuse_detection_revokes_the_family()
    {
        await Store.CreateAsync(NewSession("u1", "fam", "h1"));
        await Store.CreateAsync(NewSession("u1", "other", "x1"));
        Assert.True(await Store.RotateAsync("h1", NewSession("u1", "fam", "h2")));

        // What the auth layer does on presenting h1 again: it was rotated, so the whole family goes.
        RefreshSession presented = (await Store.FindByTokenHashAsync("h1"))!;
        Assert.NotNull(presented.RotatedAt);
        await Store.RevokeFamilyAsync(presented.FamilyId);

        Assert.NotNull((await Store.FindByTokenHashAsync("h2"))!.RevokedAt);
        Assert.False(await Store.RotateAsync("h2", NewSession("u1", "fam", "h3")));
        Assert.Null((await Store.FindByTokenHashAsync("x1"))!.RevokedAt);
    }

    [Fact]
    public async Task Revoke_all_for_user()
    {
        await Store.CreateAsync(NewSession("u1", "f1", "a"));
        await Store.CreateAsync(NewSession("u1", "f2", "b"));
        await Store.CreateAsync(NewSession("u2", "f3", "c"));
        await Store.RevokeAllForUserAsync("u1");
        Assert.NotNull((await Store.FindByTokenHashAsync("a"))!.RevokedAt);
        Assert.NotNull((await Store.FindByTokenHashAsync("b"))!.RevokedAt);
        Assert.Null((await Store.FindByTokenHashAsync("c"))!.RevokedAt);
        Assert.False(await Store.RotateAsync("a", NewSession("u1", "f1", "a2")));
    }

    [Fact]
    public async Task Expired_sessions_do_not_rotate()
    {
        DateTimeOffset longAgo = DateTimeOffset.UtcNow.AddDays(-60);
        await Store.CreateAsync(NewSession("u1", "f1", "old", longAgo));
        Assert.False(await Store.RotateAsync("old", NewSession("u1", "f1", "new")));
    }

    [Fact]
    public async Task Concurrent_rotations_of_one_token_have_one_winner()
    {
        await Store.CreateAsync(NewSession("u1", "f1", "h0"));
        bool[] results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => Store.RotateAsync("h0", NewSession("u1", "f1", $"next{i}")))));
        Assert.Equal(1, results.Count(r => r));
        Assert.Equal(1, Chat.Scalar("SELECT COUNT(*) FROM refresh_sessions WHERE token_hash LIKE 'next%'"));
    }

    [Fact]
    public async Task Duplicate_token_hash_is_rejected()
    {
        await Store.CreateAsync(NewSession("u1", "f1", "same"));
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => Store.CreateAsync(NewSession("u2", "f2", "same")));
    }
}

public sealed class SqliteRefreshSessionTests() : RefreshSessionTests(StoreKind.Sqlite);

public sealed class PostgresRefreshSessionTests() : RefreshSessionTests(StoreKind.Postgres);
