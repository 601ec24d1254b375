using System.Buffers;
using System.Text;

namespace Raven.SocketIO.Tests.Infrastructure;

/// <summary>Builds multi-segment <see cref="ReadOnlySequence{T}"/> inputs, the way pooled transport buffers arrive.</summary>
public static class Segments
{
    public static ReadOnlySequence<byte> Single(string text) => new(Encoding.UTF8.GetBytes(text));

    /// <summary>Every way of cutting the input into two segments, plus one segment per byte.</summary>
    public static IEnumerable<ReadOnlySequence<byte>> AllSplits(byte[] data)
    {
        for (var i = 0; i <= data.Length; i++)
        {
            yield return Create(data[..i], data[i..]);
        }

        yield return Create(data.Select(b => new[] { b }).ToArray());
    }

    public static ReadOnlySequence<byte> Create(params byte[][] parts)
    {
        if (parts.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(parts[0], 0);
        var last = first;
        for (var i = 1; i < parts.Length; i++)
        {
            last = last.Append(parts[i]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
