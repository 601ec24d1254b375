using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Raven.Chat;

/// <summary>
/// MongoDB-style ids: 12 bytes written as 24 lower-case hex characters,
/// a 4-byte big-endian unix-seconds timestamp, 5 random bytes fixed per process and a 3-byte counter.
/// </summary>
/// <remarks>
/// Ids from one process are strictly increasing (also within one second and when the clock steps back), so ordinal
/// string order equals creation order within a process. Ids from different processes (nodes) are not ordered
/// within a second, so history pagination uses a per-conversation sequence number instead (see docs/storage.md).
/// </remarks>
public static class ObjectIds
{
    /// <summary>Length of the textual form.</summary>
    public const int Length = 24;

    private static readonly ObjectIdGenerator Shared = new();

    /// <summary>A new id stamped with the current time.</summary>
    public static string NewId() => Shared.NewId(DateTimeOffset.UtcNow);

    /// <summary>A new id stamped with <paramref name="timestamp"/> (or later, to stay strictly increasing).</summary>
    public static string NewId(DateTimeOffset timestamp) => Shared.NewId(timestamp);

    /// <summary>True when <paramref name="value"/> is exactly 24 lower-case hex characters.</summary>
    public static bool IsValid([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? value)
    {
        if (value is null || value.Length != Length)
        {
            return false;
        }

        foreach (char c in value)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The creation time encoded in a valid id (second precision).</summary>
    /// <exception cref="FormatException">The id is not valid.</exception>
    public static DateTimeOffset GetTimestamp(string id)
    {
        if (!IsValid(id))
        {
            throw new FormatException("Not a valid object id.");
        }

        uint seconds = uint.Parse(id.AsSpan(0, 8), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
        return DateTimeOffset.FromUnixTimeSeconds(seconds);
    }
}

/// <summary>
/// The state behind <see cref="ObjectIds"/>: last second used and the counter within it. Separate instances
/// (tests) can be stamped with any time without moving the process-wide generator into the future.
/// </summary>
internal sealed class ObjectIdGenerator
{
    private const uint MaxCounter = 0xFFFFFF;

    private readonly byte[] _processRandom = RandomNumberGenerator.GetBytes(5);
    private readonly Lock _gate = new();
    private uint _lastSeconds;
    private uint _counter;

    public string NewId(DateTimeOffset timestamp)
    {
        uint seconds = (uint)Math.Clamp(timestamp.ToUnixTimeSeconds(), 0L, uint.MaxValue);
        uint counter;
        lock (_gate)
        {
            if (seconds > _lastSeconds)
            {
                _lastSeconds = seconds;
                // A random start in the lower half keeps ids unguessable-ish yet leaves 8M ids before a wrap.
                _counter = (uint)RandomNumberGenerator.GetInt32(0, (int)(MaxCounter / 2));
            }
            else if (_counter == MaxCounter)
            {
                // Counter exhausted within one second (or the clock went back): borrow the next second
                // rather than wrap, which would break ordering.
                _lastSeconds++;
                _counter = 0;
            }
            else
            {
                _counter++;
            }

            seconds = _lastSeconds;
            counter = _counter;
        }

        Span<byte> bytes = stackalloc byte[12];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, seconds);
        _processRandom.CopyTo(bytes[4..]);
        bytes[9] = (byte)(counter >> 16);
        bytes[10] = (byte)(counter >> 8);
        bytes[11] = (byte)counter;
        return Convert.ToHexStringLower(bytes);
    }
}
