using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Raven.Chat.Tests;

/// <summary>
/// Real SQLite faults: a write lock held by another connection, a read-only filesystem, a full filesystem (a small
/// tmpfs; mounting needs root, which CI has — without it these fail, they do not skip). Each must surface as
/// <see cref="ChatErrorKind.Unavailable"/>, write nothing, and clear by itself once the fault is gone.
/// </summary>
public class SqliteFaultTests
{
    [Fact]
    public async Task A_database_locked_by_another_writer_fails_the_send_and_recovers_after_release()
    {
        await using TestChat chat = await TestChat.CreateAsync(o => o.BusyTimeoutSeconds = 1);
        (User a, User b) = (await chat.UserAsync("alice"), await chat.UserAsync("bobby"));
        Conversation dm = await chat.DirectAsync(a, b);

        using (var other = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = chat.DatabaseFile, Pooling = false }.ToString()))
        {
            other.Open();
            using var transaction = other.BeginTransaction(System.Data.IsolationLevel.Serializable);
            using (var write = other.CreateCommand())
            {
                write.Transaction = transaction;
                write.CommandText = "UPDATE users SET updated_at = updated_at + 1";
                write.ExecuteNonQuery();
            }

            ChatException locked = await Expect.Fails(ChatErrorKind.Unavailable,
                () => chat.Service.SendMessageAsync(a.Id, dm.Id, new NewMessage("while locked", null, null)));
            Assert.Equal(5, Assert.IsType<SqliteException>(locked.InnerException).SqliteErrorCode);
            // Readers are not blocked by a writer (WAL).
            Assert.Empty(await chat.Service.GetMessagesAsync(b.Id, dm.Id, new HistoryQuery(20, null, null)));
            transaction.Rollback();
        }

        await chat.Service.SendMessageAsync(a.Id, dm.Id, new NewMessage("after", null, null));
        Assert.Equal(["after"], (await chat.Service.GetMessagesAsync(b.Id, dm.Id, new HistoryQuery(20, null, null))).Select(m => m.Text));
        Assert.Equal(1, (await chat.Service.ListConversationsAsync(b.Id)).Single().UnreadCount);
    }

    [Fact]
    public async Task A_full_disk_fails_sends_as_unavailable_keeps_every_acknowledged_one_and_recovers()
    {
        using var mount = TmpfsMount.Create("1m");
        await using TestChat chat = await TestChat.CreateAsync(directory: mount.Path);
        (User a, User b) = (await chat.UserAsync("alice"), await chat.UserAsync("bobby"));
        Conversation dm = await chat.DirectAsync(a, b);
        string filler = System.IO.Path.Combine(mount.Path, "filler");
        FillUp(filler);

        // Sends until the disk refuses (the WAL may still have room for a few).
        string text = new('x', 4000);
        var acknowledged = new List<string>();
        ChatException? full = null;
        for (int i = 0; i < 1000 && full is null; i++)
        {
            try
            {
                acknowledged.Add((await chat.Service.SendMessageAsync(a.Id, dm.Id, new NewMessage(text, null, null))).Id);
            }
            catch (ChatException ex)
            {
                full = ex;
            }
        }

        Assert.NotNull(full);
        Assert.Equal(ChatErrorKind.Unavailable, full.Kind);
        Assert.Equal(13, Assert.IsType<SqliteException>(full.InnerException).SqliteErrorCode);

        File.Delete(filler);
        Message after = await chat.Service.SendMessageAsync(a.Id, dm.Id, new NewMessage("after", null, null));
        var stored = new List<string>();
        string? before = null;
        IReadOnlyList<Message> page;
        do
        {
            page = await chat.Service.GetMessagesAsync(b.Id, dm.Id, new HistoryQuery(100, before, null));
            stored.AddRange(page.Select(m => m.Id));
            before = page.Count > 0 ? page[^1].Id : null;
        }
        while (page.Count == 100);

        // Exactly the acknowledged messages plus the new one; the failed send left nothing (no row, no unread bump).
        Assert.Equal([.. acknowledged, after.Id], stored.AsEnumerable().Reverse());
        Assert.Equal(acknowledged.Count + 1, (await chat.Service.ListConversationsAsync(b.Id)).Single().UnreadCount);
    }

    [Fact]
    public async Task A_read_only_filesystem_fails_operations_as_unavailable_until_it_is_writable_again()
    {
        using var mount = TmpfsMount.Create("4m");
        string aId, bId, dmId;
        await using (TestChat setup = await TestChat.CreateAsync(directory: mount.Path))
        {
            (User a, User b) = (await setup.UserAsync("alice"), await setup.UserAsync("bobby"));
            (aId, bId, dmId) = (a.Id, b.Id, (await setup.DirectAsync(a, b)).Id);
        }

        // A filesystem cannot turn read-only under files open for writing; the store opens the database after it did.
        mount.Remount(readOnly: true);
        var options = Options.Create(new ChatOptions { DataDirectory = mount.Path, PasswordHashIterations = 1000 });
        await using var database = new ChatDatabase(options);
        var chat = new ChatService(database, options);
        await Expect.Fails(ChatErrorKind.Unavailable, () => chat.SendMessageAsync(aId, dmId, new NewMessage("read-only", null, null)));
        await Expect.Fails(ChatErrorKind.Unavailable, () => chat.SendMessageAsync(aId, dmId, new NewMessage("still read-only", null, null)));

        mount.Remount(readOnly: false);
        await chat.SendMessageAsync(aId, dmId, new NewMessage("writable", null, null));
        Assert.Equal(["writable"], (await chat.GetMessagesAsync(bId, dmId, new HistoryQuery(20, null, null))).Select(m => m.Text));
    }

    private static void FillUp(string path)
    {
        var chunk = new byte[16 * 1024];
        try
        {
            using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None);
            while (true)
            {
                stream.Write(chunk);
                stream.Flush();
            }
        }
        catch (IOException)
        {
            // ENOSPC: the filesystem is full.
        }
    }

    /// <summary>A tmpfs of a fixed size mounted on a fresh folder; unmounted and removed on dispose.</summary>
    private sealed class TmpfsMount : IDisposable
    {
        private TmpfsMount(string path, string size)
        {
            Path = path;
            Size = size;
        }

        public string Path { get; }

        private string Size { get; }

        public static TmpfsMount Create(string size)
        {
            string path = TestChat.NewDirectory();
            Run("mount", "-t", "tmpfs", "-o", $"size={size},mode=0755", "tmpfs", path);
            return new TmpfsMount(path, size);
        }

        public void Remount(bool readOnly) => Run("mount", "-o", $"remount,{(readOnly ? "ro" : "rw")},size={Size}", Path);

        public void Dispose()
        {
            SqliteConnection.ClearAllPools();
            Run("umount", "-l", Path);
            Directory.Delete(Path);
        }

        private static void Run(string file, params string[] arguments)
        {
            var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (string argument in arguments)
            {
                psi.ArgumentList.Add(argument);
            }

            using Process process = Process.Start(psi)!;
            string error = process.StandardError.ReadToEnd() + process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException(
                    $"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}): {error.Trim()} — these fault tests need root (CI runs as root).");
            }
        }
    }
}
