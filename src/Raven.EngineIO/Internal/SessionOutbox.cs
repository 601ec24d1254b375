using System.Buffers;

namespace Raven.EngineIO.Internal;

/// <summary>An entry of the send queue: a message, or a bare control packet type.</summary>
internal readonly record struct OutFrame(EngineMessage? Message, byte Control);

/// <summary>
/// A session's bounded send queue. Not thread-safe by itself: every member runs under the session's lock (the
/// outbox is that lock object). Consumers take everything queued at once into a pooled array.
/// </summary>
internal sealed class SessionOutbox
{
    private static readonly byte[][] ControlFrames = CreateControlFrames();

    // Lazily created: a session that never had anything to send holds no queue.
    private Queue<OutFrame>? _queue;

    /// <summary>Queued messages (control packets are not counted against the bound).</summary>
    public int QueuedMessages { get; private set; }

    public int Count => _queue?.Count ?? 0;

    /// <summary>Queues all of <paramref name="messages"/> or none of them.</summary>
    public bool TryEnqueue(ReadOnlySpan<EngineMessage> messages, int limit)
    {
        if (QueuedMessages + messages.Length > limit)
        {
            return false;
        }

        var queue = _queue ??= new Queue<OutFrame>();
        foreach (var message in messages)
        {
            queue.Enqueue(new OutFrame(message, 0));
        }

        QueuedMessages += messages.Length;
        return true;
    }

    public void EnqueueControl(byte type) => (_queue ??= new Queue<OutFrame>()).Enqueue(new OutFrame(null, type));

    public void Clear()
    {
        _queue?.Clear();
        QueuedMessages = 0;
    }

    /// <summary>Moves every queued frame into a rented array; give it back with <see cref="Return"/>.</summary>
    public int TakeAll(out OutFrame[] frames)
    {
        var queue = _queue;
        var count = queue?.Count ?? 0;
        if (count == 0)
        {
            frames = [];
            return 0;
        }

        frames = ArrayPool<OutFrame>.Shared.Rent(count);
        for (var i = 0; i < count; i++)
        {
            frames[i] = queue!.Dequeue();
        }

        QueuedMessages = 0;
        if (queue!.Count == 0 && count > 64)
        {
            // A burst grew the queue's array; let an idle session drop it.
            _queue = null;
        }

        return count;
    }

    public static void Return(OutFrame[] frames, int count)
    {
        if (frames.Length > 0)
        {
            Array.Clear(frames, 0, count);
            ArrayPool<OutFrame>.Shared.Return(frames);
        }
    }

    /// <summary>The one-byte frame of a bare control packet (<c>'0'</c>..<c>'6'</c>).</summary>
    public static byte[] ControlFrame(byte type) => ControlFrames[type - '0'];

    private static byte[][] CreateControlFrames()
    {
        var frames = new byte[7][];
        for (var i = 0; i < frames.Length; i++)
        {
            frames[i] = [(byte)('0' + i)];
        }

        return frames;
    }
}
