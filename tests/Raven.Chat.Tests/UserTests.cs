using Microsoft.Extensions.Options;

namespace Raven.Chat.Tests;

public abstract class UserTests(StoreKind store) : ChatTestBase(store)
{
    [Fact]
    public async Task Register_normalizes_email_and_returns_user()
    {
        User user = await Service.RegisterAsync("  Alice  ", "  Alice@Example.COM ", "secret1");
        Assert.True(ObjectIds.IsValid(user.Id));
        Assert.Equal("Alice", user.Username);
        Assert.Equal("alice@example.com", user.Email);
        Assert.Null(user.Avatar);
        Assert.Equal(TimeSpan.Zero, user.CreatedAt.Offset);
        Assert.Equal(0, user.CreatedAt.Ticks % TimeSpan.TicksPerMillisecond);
        Assert.Equal(user, await Service.FindUserAsync(user.Id));
    }

    [Theory]
    [InlineData("ab", "a@b.co", "secret1")]
    [InlineData("   ", "a@b.co", "secret1")]
    [InlineData("abc", "not-an-email", "secret1")]
    [InlineData("abc", "a@b", "secret1")]
    [InlineData("abc", "a b@c.de", "secret1")]
    [InlineData("abc", "a@@c.de", "secret1")]
    [InlineData("abc", "", "secret1")]
    [InlineData("abc", "a@b.co", "abc12")]
    [InlineData("abc", "a@b.co", "abcdefg")]
    [InlineData("abc", "a@b.co", "1234567")]
    public async Task Register_validates_input(string username, string email, string password)
    {
        await Expect.Fails(ChatErrorKind.Validation, () => Service.RegisterAsync(username, email, password));
        Assert.Equal(0, Chat.Scalar("SELECT COUNT(*) FROM users"));
    }

    [Fact]
    public async Task Register_accepts_boundary_lengths_and_rejects_past_them()
    {
        await Service.RegisterAsync("abc", "a1@b.co", "abcde1");
        await Service.RegisterAsync(new string('x', 50), "a2@b.co", "abcde1");
        await Expect.Fails(ChatErrorKind.Validation, () => Service.RegisterAsync(new string('y', 51), "a3@b.co", "abcde1"));
    }

    [Fact]
    public async Task Register_rejects_duplicate_email_case_insensitively()
    {
        await Service.RegisterAsync("alice", "alice@example.com", "secret1");
        var ex = await Expect.Fails(ChatErrorKind.Conflict, () => Service.RegisterAsync("alice2", "ALICE@example.com", "secret1"));
        Assert.Contains("already", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Register_rejects_duplicate_username_case_insensitively()
    {
        await Service.RegisterAsync("alice", "alice@example.com", "secret1");
        await Expect.Fails(ChatErrorKind.Conflict, () => Service.RegisterAsync("ALICE", "other@example.com", "secret1"));
        Assert.Equal(1, Chat.Scalar("SELECT COUNT(*) FROM users"));
    }

    [Fact]
    public async Task Concurrent_duplicate_registrations_yield_one_user()
    {
        var attempts = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            try
            {
                await Service.RegisterAsync("racer", "racer@example.com", "secret1");
                return true;
            }
            catch (ChatException ex) when (ex.Kind == ChatErrorKind.Conflict)
            {
                return false;
            }
        })).ToArray();
        bool[] results = await Task.WhenAll(attempts);
        Assert.Equal(1, results.Count(r => r));
        Assert.Equal(1, Chat.Scalar("SELECT COUNT(*) FROM users"));
    }

    [Fact]
    public async Task Password_is_stored_hashed_and_verifies()
    {
        User user = await Service.RegisterAsync("alice", "alice@example.com", "secret1");
        using var raw = Chat.OpenRaw();
        using var command = raw.CreateCommand();
        command.CommandText = "SELECT password_hash FROM users";
        string hash = (string)command.ExecuteScalar()!;
        Assert.DoesNotContain("secret1", hash, StringComparison.Ordinal);
        Assert.True(hash.Length > 40);

        Assert.Equal(user, await Service.VerifyCredentialsAsync("ALICE@example.com ", "secret1"));
        Assert.Null(await Service.VerifyCredentialsAsync("alice@example.com", "secret2"));
        Assert.Null(await Service.VerifyCredentialsAsync("alice@example.com", "Secret1"));
        Assert.Null(await Service.VerifyCredentialsAsync("nobody@example.com", "secret1"));
        Assert.Null(await Service.VerifyCredentialsAsync("", ""));
    }

    [Fact]
    public async Task Same_password_gets_different_hashes()
    {
        await Service.RegisterAsync("alice", "alice@example.com", "secret1");
        await Service.RegisterAsync("bobby", "bobby@example.com", "secret1");
        Assert.Equal(2, Chat.Scalar("SELECT COUNT(DISTINCT password_hash) FROM users"));
    }

    [Fact]
    public async Task Verify_upgrades_a_weaker_hash()
    {
        User user = await Service.RegisterAsync("alice", "alice@example.com", "secret1");
        string Hash()
        {
            using var raw = Chat.OpenRaw();
            using var command = raw.CreateCommand();
            command.CommandText = "SELECT password_hash FROM users";
            return (string)command.ExecuteScalar()!;
        }

        string before = Hash();
        var stronger = new ChatService(Chat.Database, Options.Create(new ChatOptions { PasswordHashIterations = 2000 }));
        Assert.Equal(user.Id, (await stronger.VerifyCredentialsAsync("alice@example.com", "secret1"))?.Id);
        string after = Hash();
        Assert.NotEqual(before, after);
        // Still verifies with the new hash, and no further upgrade happens.
        Assert.NotNull(await stronger.VerifyCredentialsAsync("alice@example.com", "secret1"));
        Assert.Equal(after, Hash());
    }

    [Fact]
    public async Task FindUser_returns_null_for_unknown_or_malformed()
    {
        Assert.Null(await Service.FindUserAsync(ObjectIds.NewId()));
        Assert.Null(await Service.FindUserAsync("nope"));
    }

    [Fact]
    public async Task FindUser_accepts_upper_case_ids()
    {
        User user = await Chat.UserAsync("alice");
        Assert.Equal(user, await Service.FindUserAsync(user.Id.ToUpperInvariant()));
    }

    [Fact]
    public async Task UpdateProfile_changes_username_and_avatar()
    {
        User user = await Chat.UserAsync("alice");
        User updated = await Service.UpdateProfileAsync(user.Id, new ProfileUpdate("Alicia", "https://cdn.example.com/a.png", null, null));
        Assert.Equal("Alicia", updated.Username);
        Assert.Equal("https://cdn.example.com/a.png", updated.Avatar);
        Assert.Equal(updated, await Service.FindUserAsync(user.Id));

        User cleared = await Service.UpdateProfileAsync(user.Id, new ProfileUpdate(null, "", null, null));
        Assert.Equal("Alicia", cleared.Username);
        Assert.Null(cleared.Avatar);
    }

    [Fact]
    public async Task UpdateProfile_may_change_case_of_own_username()
    {
        User user = await Chat.UserAsync("alice");
        Assert.Equal("ALICE", (await Service.UpdateProfileAsync(user.Id, new ProfileUpdate("ALICE", null, null, null))).Username);
    }

    [Fact]
    public async Task UpdateProfile_rejects_taken_username_and_bad_avatar()
    {
        User alice = await Chat.UserAsync("alice");
        await Chat.UserAsync("bobby");
        await Expect.Fails(ChatErrorKind.Conflict, () => Service.UpdateProfileAsync(alice.Id, new ProfileUpdate("Bobby", null, null, null)));
        await Expect.Fails(ChatErrorKind.Validation, () => Service.UpdateProfileAsync(alice.Id, new ProfileUpdate("x", null, null, null)));
        await Expect.Fails(ChatErrorKind.Validation, () => Service.UpdateProfileAsync(alice.Id, new ProfileUpdate(null, "javascript:alert(1)", null, null)));
        await Expect.Fails(ChatErrorKind.NotFound, () => Service.UpdateProfileAsync(ObjectIds.NewId(), new ProfileUpdate("zed", null, null, null)));
        await Expect.Fails(ChatErrorKind.Validation, () => Service.UpdateProfileAsync("bad", new ProfileUpdate("zed", null, null, null)));
        Assert.Equal("alice", (await Service.FindUserAsync(alice.Id))!.Username);
    }

    [Fact]
    public async Task UpdateProfile_password_needs_current_password()
    {
        User alice = await Chat.UserAsync("alice");
        await Expect.Fails(ChatErrorKind.Validation, () => Service.UpdateProfileAsync(alice.Id, new ProfileUpdate(null, null, "newpass2", null)));
        await Expect.Fails(ChatErrorKind.Validation, () => Service.UpdateProfileAsync(alice.Id, new ProfileUpdate(null, null, "newpass2", "wrong11")));
        await Expect.Fails(ChatErrorKind.Validation, () => Service.UpdateProfileAsync(alice.Id, new ProfileUpdate(null, null, "short", TestChat.Password)));
        Assert.NotNull(await Service.VerifyCredentialsAsync(alice.Email, TestChat.Password));

        await Service.UpdateProfileAsync(alice.Id, new ProfileUpdate(null, null, "newpass2", TestChat.Password));
        Assert.Null(await Service.VerifyCredentialsAsync(alice.Email, TestChat.Password));
        Assert.NotNull(await Service.VerifyCredentialsAsync(alice.Email, "newpass2"));
    }

    [Fact]
    public async Task Search_is_case_insensitive_substring_on_username_and_email_including_caller()
    {
        await Service.RegisterAsync("Alice", "alice@wonder.land", "secret1");
        await Service.RegisterAsync("malice", "m@example.com", "secret1");
        await Service.RegisterAsync("bob", "bob@ALICORN.io", "secret1");
        await Service.RegisterAsync("carol", "carol@example.com", "secret1");

        var found = await Service.SearchUsersAsync("ALI", 10);
        Assert.Equal(["Alice", "bob", "malice"], found.Select(u => u.Username).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(["carol"], (await Service.SearchUsersAsync("carol@", 10)).Select(u => u.Username));
        Assert.Empty(await Service.SearchUsersAsync("   ", 10));
        Assert.Empty(await Service.SearchUsersAsync("zzz", 10));
    }

    [Fact]
    public async Task Search_treats_like_wildcards_literally_and_caps_the_limit()
    {
        for (int i = 0; i < 12; i++)
        {
            await Chat.UserAsync($"user{i:00}");
        }

        Assert.Empty(await Service.SearchUsersAsync("%", 10));
        Assert.Empty(await Service.SearchUsersAsync("_", 10));
        Assert.Equal(10, (await Service.SearchUsersAsync("user", 50)).Count);
        Assert.Equal(10, (await Service.SearchUsersAsync("user", 0)).Count);
        Assert.Equal(3, (await Service.SearchUsersAsync("user", 3)).Count);
    }
}

public sealed class SqliteUserTests() : UserTests(StoreKind.Sqlite);

public sealed class PostgresUserTests() : UserTests(StoreKind.Postgres);
