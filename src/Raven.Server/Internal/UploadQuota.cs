using System.Globalization;
using Raven.Chat;

namespace Raven.Server.Internal;

/// <summary>
/// Bytes stored per user (UPLOAD_QUOTA_BYTES), kept in DATA_DIR/uploads/.usage/{userId} so a restart does not reset it.
/// One lock serializes the read-modify-write of a counter; it is held for a small file write only.
/// </summary>
internal sealed class UploadQuota(string root, long quotaBytes)
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly string _directory = Path.Combine(root, ".usage");

    public long QuotaBytes => quotaBytes;

    public bool Enabled => quotaBytes > 0;

    public async Task<long> UsedAsync(string userId, CancellationToken ct)
    {
        await _lock.WaitAsync(ct);
        try
        {
            return Read(userId);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Adds <paramref name="bytes"/> to the user's usage unless that would pass the quota.</summary>
    public async Task<bool> TryAddAsync(string userId, long bytes, CancellationToken ct)
    {
        await _lock.WaitAsync(ct);
        try
        {
            var used = Read(userId);
            if (Enabled && used + bytes > quotaBytes)
            {
                return false;
            }

            Write(userId, used + bytes);
            return true;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Gives back bytes reserved for an upload that was not kept.</summary>
    public async Task ReleaseAsync(string userId, long bytes)
    {
        await _lock.WaitAsync();
        try
        {
            Write(userId, Math.Max(0, Read(userId) - bytes));
        }
        finally
        {
            _lock.Release();
        }
    }

    private string PathOf(string userId) =>
        ObjectIds.IsValid(userId) ? Path.Combine(_directory, userId) : throw new ArgumentException("Not a user id.", nameof(userId));

    private long Read(string userId)
    {
        var path = PathOf(userId);
        return File.Exists(path) && long.TryParse(File.ReadAllText(path), NumberStyles.None, CultureInfo.InvariantCulture, out var used) ? used : 0;
    }

    private void Write(string userId, long used)
    {
        Directory.CreateDirectory(_directory);
        var path = PathOf(userId);
        var temp = path + ".tmp";
        File.WriteAllText(temp, used.ToString(CultureInfo.InvariantCulture));
        File.Move(temp, path, overwrite: true);
    }
}
