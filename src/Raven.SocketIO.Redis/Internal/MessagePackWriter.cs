using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Raven.SocketIO.Redis.Internal;

/// <summary>
/// Writes MessagePack the way notepack.io (the codec of <c>@socket.io/redis-adapter</c>) does: integers in the
/// smallest form, other numbers as float64, strings as str, binary as bin. Callers write container headers with
/// the element count first, as the format requires.
/// </summary>
internal ref struct MessagePackWriter
{
    private readonly IBufferWriter<byte> _output;

    public MessagePackWriter(IBufferWriter<byte> output)
    {
        _output = output;
    }

    public readonly void WriteNil() => WriteByte(0xc0);

    public readonly void WriteBoolean(bool value) => WriteByte(value ? (byte)0xc3 : (byte)0xc2);

    public readonly void WriteInteger(long value)
    {
        if (value >= 0)
        {
            if (value < 0x80)
            {
                WriteByte((byte)value);
            }
            else if (value < 0x100)
            {
                WriteMarked(0xcc, (byte)value);
            }
            else if (value < 0x10000)
            {
                WriteMarked16(0xcd, (ushort)value);
            }
            else if (value < 0x1_0000_0000)
            {
                WriteMarked32(0xce, (uint)value);
            }
            else
            {
                WriteMarked64(0xcf, (ulong)value);
            }

            return;
        }

        // Negative values: the two's-complement bytes of the smallest signed width, as notepack.io writes them.
        if (value >= -32)
        {
            WriteByte((byte)(sbyte)value);
        }
        else if (value >= sbyte.MinValue)
        {
            WriteMarked(0xd0, (byte)(sbyte)value);
        }
        else if (value >= short.MinValue)
        {
            WriteMarked16(0xd1, (ushort)(short)value);
        }
        else if (value >= int.MinValue)
        {
            WriteMarked32(0xd2, (uint)(int)value);
        }
        else
        {
            WriteMarked64(0xd3, (ulong)value);
        }
    }

    /// <summary>A JavaScript number: an integer-valued one as an integer (like notepack.io), any other as float64.</summary>
    public readonly void WriteNumber(double value)
    {
        if (Math.Floor(value) == value && double.IsFinite(value) && Math.Abs(value) < 9.2e18)
        {
            WriteInteger((long)value);
            return;
        }

        WriteMarked64(0xcb, BitConverter.DoubleToUInt64Bits(value));
    }

    public readonly void WriteString(string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        WriteStringHeader(length);
        var span = _output.GetSpan(length);
        Encoding.UTF8.GetBytes(value, span);
        _output.Advance(length);
    }

    /// <summary>Writes an already UTF-8 encoded string.</summary>
    public readonly void WriteString(ReadOnlySpan<byte> utf8)
    {
        WriteStringHeader(utf8.Length);
        Write(utf8);
    }

    public readonly void WriteBinary(ReadOnlySpan<byte> value)
    {
        WriteLengthHeader(value.Length, 0xc4, 0xc5, 0xc6);
        Write(value);
    }

    public readonly void WriteArrayHeader(int count) => WriteContainerHeader(count, 0x90, 0xdc, 0xdd);

    public readonly void WriteMapHeader(int count) => WriteContainerHeader(count, 0x80, 0xde, 0xdf);

    private readonly void WriteStringHeader(int length)
    {
        if (length < 0x20)
        {
            WriteByte((byte)(0xa0 | length));
        }
        else
        {
            WriteLengthHeader(length, 0xd9, 0xda, 0xdb);
        }
    }

    /// <summary>A str or bin length: the 8-, 16- or 32-bit form, whichever is smallest.</summary>
    private readonly void WriteLengthHeader(int length, byte code8, byte code16, byte code32)
    {
        if (length < 0x100)
        {
            WriteMarked(code8, (byte)length);
        }
        else if (length < 0x10000)
        {
            WriteMarked16(code16, (ushort)length);
        }
        else
        {
            WriteMarked32(code32, (uint)length);
        }
    }

    private readonly void WriteContainerHeader(int count, byte fix, byte code16, byte code32)
    {
        if (count < 0x10)
        {
            WriteByte((byte)(fix | count));
        }
        else if (count < 0x10000)
        {
            WriteMarked16(code16, (ushort)count);
        }
        else
        {
            WriteMarked32(code32, (uint)count);
        }
    }

    // A type byte followed by a big-endian value of 1, 2, 4 or 8 bytes.
    private readonly void WriteMarked(byte code, byte value)
    {
        var span = _output.GetSpan(2);
        span[0] = code;
        span[1] = value;
        _output.Advance(2);
    }

    private readonly void WriteMarked16(byte code, ushort value)
    {
        var span = _output.GetSpan(3);
        span[0] = code;
        BinaryPrimitives.WriteUInt16BigEndian(span[1..], value);
        _output.Advance(3);
    }

    private readonly void WriteMarked32(byte code, uint value)
    {
        var span = _output.GetSpan(5);
        span[0] = code;
        BinaryPrimitives.WriteUInt32BigEndian(span[1..], value);
        _output.Advance(5);
    }

    private readonly void WriteMarked64(byte code, ulong value)
    {
        var span = _output.GetSpan(9);
        span[0] = code;
        BinaryPrimitives.WriteUInt64BigEndian(span[1..], value);
        _output.Advance(9);
    }

    private readonly void WriteByte(byte value)
    {
        _output.GetSpan(1)[0] = value;
        _output.Advance(1);
    }

    private readonly void Write(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }

        bytes.CopyTo(_output.GetSpan(bytes.Length));
        _output.Advance(bytes.Length);
    }
}
