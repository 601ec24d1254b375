namespace Raven.EngineIO;

/// <summary>
/// An outgoing Engine.IO message packet (type 4): UTF-8 text or raw binary. Immutable, so one instance can be
/// queued on every recipient of a broadcast; the transports derive their wire forms (the <c>4</c>-prefixed text
/// frame, the <c>b</c>+base64 polling form) once per instance, lazily, and share them.
/// </summary>
public sealed class EngineMessage
{
    private byte[]? _prefixedText;
    private byte[]? _base64Polling;

    private EngineMessage(ReadOnlyMemory<byte> data, bool isBinary)
    {
        Data = data;
        IsBinary = isBinary;
    }

    private EngineMessage(byte[] prefixed)
    {
        Data = prefixed.AsMemory(1);
        _prefixedText = prefixed;
    }

    /// <summary>The UTF-8 text (without the <c>4</c> type byte) or the binary payload.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    public bool IsBinary { get; }

    /// <summary>A text message. The memory must not change afterwards.</summary>
    public static EngineMessage Text(ReadOnlyMemory<byte> utf8) => new(utf8, isBinary: false);

    public static EngineMessage Text(string text) => new(System.Text.Encoding.UTF8.GetBytes(text), isBinary: false);

    /// <summary>
    /// A text message whose buffer already starts with the Engine.IO message type byte <c>4</c>: encoders that
    /// reserve that byte up front spare the transports a copy of every message. The memory must not change afterwards.
    /// </summary>
    /// <exception cref="ArgumentException">The buffer does not start with <c>4</c>.</exception>
    public static EngineMessage PrefixedText(byte[] prefixed)
    {
        ArgumentNullException.ThrowIfNull(prefixed);
        if (prefixed.Length == 0 || prefixed[0] != (byte)'4')
        {
            throw new ArgumentException("The message must start with the Engine.IO type byte '4'.", nameof(prefixed));
        }

        return new EngineMessage(prefixed);
    }

    /// <summary>A binary message. The memory must not change afterwards.</summary>
    public static EngineMessage Binary(ReadOnlyMemory<byte> data) => new(data, isBinary: true);

    /// <summary>Text messages: <c>4</c> followed by the text, as one WebSocket text frame or polling packet carries it.</summary>
    internal ReadOnlyMemory<byte> GetPrefixedText()
    {
        return _prefixedText ??= Build(Data.Span);

        static byte[] Build(ReadOnlySpan<byte> text)
        {
            var bytes = new byte[text.Length + 1];
            bytes[0] = (byte)'4';
            text.CopyTo(bytes.AsSpan(1));
            return bytes;
        }
    }

    /// <summary>Binary messages over polling: <c>b</c> followed by base64.</summary>
    internal ReadOnlyMemory<byte> GetBase64ForPolling()
    {
        return _base64Polling ??= Build(Data.Span);

        static byte[] Build(ReadOnlySpan<byte> data)
        {
            var bytes = new byte[1 + System.Buffers.Text.Base64.GetMaxEncodedToUtf8Length(data.Length)];
            bytes[0] = (byte)'b';
            System.Buffers.Text.Base64.EncodeToUtf8(data, bytes.AsSpan(1), out _, out var written);
            return written + 1 == bytes.Length ? bytes : bytes.AsSpan(0, written + 1).ToArray();
        }
    }
}
