using System.Buffers.Binary;
using System.Text;

namespace Raven.SocketIO.Redis.Internal;

/// <summary>What the next MessagePack value is.</summary>
internal enum MessagePackKind
{
    Nil,
    Boolean,
    Integer,
    Float,
    String,
    Binary,
    Array,
    Map,
    Extension,
}

/// <summary>
/// Reads MessagePack from one message (a Redis pub/sub payload). Every read checks bounds and throws
/// <see cref="FormatException"/> on malformed input, so a bad message from another server is dropped, never trusted.
/// </summary>
internal ref struct MessagePackReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public MessagePackReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    public readonly bool End => _position >= _data.Length;

    public readonly MessagePackKind PeekKind()
    {
        var code = Peek();
        return code switch
        {
            <= 0x7f => MessagePackKind.Integer,
            <= 0x8f => MessagePackKind.Map,
            <= 0x9f => MessagePackKind.Array,
            <= 0xbf => MessagePackKind.String,
            0xc0 => MessagePackKind.Nil,
            0xc2 or 0xc3 => MessagePackKind.Boolean,
            0xc4 or 0xc5 or 0xc6 => MessagePackKind.Binary,
            0xc7 or 0xc8 or 0xc9 or (>= 0xd4 and <= 0xd8) => MessagePackKind.Extension,
            0xca or 0xcb => MessagePackKind.Float,
            (>= 0xcc and <= 0xd3) or >= 0xe0 => MessagePackKind.Integer,
            0xd9 or 0xda or 0xdb => MessagePackKind.String,
            0xdc or 0xdd => MessagePackKind.Array,
            0xde or 0xdf => MessagePackKind.Map,
            _ => throw new FormatException($"Invalid MessagePack code 0x{code:x2}."),
        };
    }

    public bool TryReadNil()
    {
        if (!End && _data[_position] == 0xc0)
        {
            _position++;
            return true;
        }

        return false;
    }

    public bool ReadBoolean() => ReadByte() switch
    {
        0xc2 => false,
        0xc3 => true,
        var code => throw Unexpected(code, "a boolean"),
    };

    /// <summary>Any numeric value as a double (JavaScript has only doubles).</summary>
    public double ReadNumber()
    {
        var code = Peek();
        if (code == 0xca)
        {
            _position++;
            return BinaryPrimitives.ReadSingleBigEndian(Take(4));
        }

        if (code == 0xcb)
        {
            _position++;
            return BinaryPrimitives.ReadDoubleBigEndian(Take(8));
        }

        return code == 0xcf ? ReadUInt64() : ReadInteger();
    }

    public long ReadInteger()
    {
        var code = ReadByte();
        return code switch
        {
            <= 0x7f => code,
            >= 0xe0 => (sbyte)code,
            0xcc => Take(1)[0],
            0xcd => BinaryPrimitives.ReadUInt16BigEndian(Take(2)),
            0xce => BinaryPrimitives.ReadUInt32BigEndian(Take(4)),
            0xcf => checked((long)BinaryPrimitives.ReadUInt64BigEndian(Take(8))),
            0xd0 => (sbyte)Take(1)[0],
            0xd1 => BinaryPrimitives.ReadInt16BigEndian(Take(2)),
            0xd2 => BinaryPrimitives.ReadInt32BigEndian(Take(4)),
            0xd3 => BinaryPrimitives.ReadInt64BigEndian(Take(8)),
            0xca => (long)BinaryPrimitives.ReadSingleBigEndian(Take(4)),
            0xcb => (long)BinaryPrimitives.ReadDoubleBigEndian(Take(8)),
            _ => throw Unexpected(code, "an integer"),
        };
    }

    /// <summary>The UTF-8 bytes of a string value (a slice of the message).</summary>
    public ReadOnlySpan<byte> ReadStringBytes()
    {
        var code = ReadByte();
        var length = code switch
        {
            >= 0xa0 and <= 0xbf => code & 0x1f,
            0xd9 => Take(1)[0],
            0xda => BinaryPrimitives.ReadUInt16BigEndian(Take(2)),
            0xdb => Length(BinaryPrimitives.ReadUInt32BigEndian(Take(4))),
            _ => throw Unexpected(code, "a string"),
        };
        return Take(length);
    }

    public string ReadString() => Encoding.UTF8.GetString(ReadStringBytes());

    /// <summary>A string, or null for nil.</summary>
    public string? ReadNullableString() => TryReadNil() ? null : ReadString();

    public ReadOnlySpan<byte> ReadBinary()
    {
        var code = ReadByte();
        var length = code switch
        {
            0xc4 => Take(1)[0],
            0xc5 => BinaryPrimitives.ReadUInt16BigEndian(Take(2)),
            0xc6 => Length(BinaryPrimitives.ReadUInt32BigEndian(Take(4))),
            _ => throw Unexpected(code, "binary"),
        };
        return Take(length);
    }

    /// <summary>Reads an extension value and returns its type code (its payload is skipped).</summary>
    public sbyte ReadExtension()
    {
        var code = ReadByte();
        var length = code switch
        {
            0xd4 => 1,
            0xd5 => 2,
            0xd6 => 4,
            0xd7 => 8,
            0xd8 => 16,
            0xc7 => Take(1)[0],
            0xc8 => BinaryPrimitives.ReadUInt16BigEndian(Take(2)),
            0xc9 => Length(BinaryPrimitives.ReadUInt32BigEndian(Take(4))),
            _ => throw Unexpected(code, "an extension"),
        };
        var type = (sbyte)Take(1)[0];
        Take(length);
        return type;
    }

    public int ReadArrayHeader()
    {
        var code = ReadByte();
        return code switch
        {
            >= 0x90 and <= 0x9f => code & 0x0f,
            0xdc => BinaryPrimitives.ReadUInt16BigEndian(Take(2)),
            0xdd => Count(BinaryPrimitives.ReadUInt32BigEndian(Take(4))),
            _ => throw Unexpected(code, "an array"),
        };
    }

    public int ReadMapHeader()
    {
        var code = ReadByte();
        return code switch
        {
            >= 0x80 and <= 0x8f => code & 0x0f,
            0xde => BinaryPrimitives.ReadUInt16BigEndian(Take(2)),
            0xdf => Count(BinaryPrimitives.ReadUInt32BigEndian(Take(4))),
            _ => throw Unexpected(code, "a map"),
        };
    }

    /// <summary>Skips one value, containers included (iteratively: a deep message cannot overflow the stack).</summary>
    public void Skip()
    {
        long remaining = 1;
        while (remaining > 0)
        {
            remaining--;
            switch (PeekKind())
            {
                case MessagePackKind.Nil:
                case MessagePackKind.Boolean:
                    _position++;
                    break;
                case MessagePackKind.Integer:
                case MessagePackKind.Float:
                    ReadNumber();
                    break;
                case MessagePackKind.String:
                    ReadStringBytes();
                    break;
                case MessagePackKind.Binary:
                    ReadBinary();
                    break;
                case MessagePackKind.Extension:
                    ReadExtension();
                    break;
                case MessagePackKind.Array:
                    remaining += ReadArrayHeader();
                    break;
                case MessagePackKind.Map:
                    remaining += 2L * ReadMapHeader();
                    break;
            }
        }
    }

    private double ReadUInt64()
    {
        _position++;
        return BinaryPrimitives.ReadUInt64BigEndian(Take(8));
    }

    private readonly byte Peek() => End ? throw new FormatException("Truncated MessagePack message.") : _data[_position];

    private byte ReadByte()
    {
        var code = Peek();
        _position++;
        return code;
    }

    private ReadOnlySpan<byte> Take(int length)
    {
        if (length < 0 || length > _data.Length - _position)
        {
            throw new FormatException("Truncated MessagePack message.");
        }

        var slice = _data.Slice(_position, length);
        _position += length;
        return slice;
    }

    // Lengths and counts beyond the message are rejected before anything is allocated for them.
    private readonly int Length(uint length) => length > (uint)(_data.Length - _position)
        ? throw new FormatException("MessagePack length exceeds the message.")
        : (int)length;

    private readonly int Count(uint count) => count > (uint)(_data.Length - _position)
        ? throw new FormatException("MessagePack count exceeds the message.")
        : (int)count;

    private static FormatException Unexpected(byte code, string expected) =>
        new($"Expected {expected} in MessagePack, found code 0x{code:x2}.");
}
