using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace Raven.Server.Auth.Internal;

/// <summary>
/// HS256 for secrets shorter than 256 bits. IdentityModel refuses such keys outright (IDX10720/IDX10603, and
/// <see cref="SymmetricSignatureProvider.MinimumSymmetricKeySizeInBits"/> cannot go below 128 bits), yet existing
/// erion-raven deployments and the bench harness sign with secrets like "dev" through jsonwebtoken, which accepts them.
/// Plugged in as the key's custom crypto provider only for such secrets; strong secrets use the library's own provider.
/// </summary>
internal sealed class ShortKeyHmacCryptoProvider : ICryptoProvider
{
    public bool IsSupportedAlgorithm(string algorithm, params object[] args) =>
        IsHmacSha256(algorithm) && args is [SymmetricSecurityKey, ..];

    public object Create(string algorithm, params object[] args)
    {
        if (!IsSupportedAlgorithm(algorithm, args))
        {
            throw new NotSupportedException($"Algorithm '{algorithm}' is not supported by {nameof(ShortKeyHmacCryptoProvider)}.");
        }

        return new HmacSha256SignatureProvider((SymmetricSecurityKey)args[0], algorithm);
    }

    public void Release(object cryptoInstance)
    {
        if (cryptoInstance is IDisposable disposable)
        {
            disposable.Dispose();
        }
    }

    private static bool IsHmacSha256(string algorithm) =>
        algorithm is SecurityAlgorithms.HmacSha256 or SecurityAlgorithms.HmacSha256Signature;

    private sealed class HmacSha256SignatureProvider(SymmetricSecurityKey key, string algorithm) : SignatureProvider(key, algorithm)
    {
        private readonly byte[] _key = key.Key;

        public override byte[] Sign(byte[] input) => HMACSHA256.HashData(_key, input);

        public override byte[] Sign(byte[] input, int offset, int count) =>
            HMACSHA256.HashData(_key, input.AsSpan(offset, count));

        public override bool Sign(ReadOnlySpan<byte> data, Span<byte> destination, out int bytesWritten) =>
            HMACSHA256.TryHashData(_key, data, destination, out bytesWritten);

        public override bool Verify(byte[] input, byte[] signature) =>
            Verify(input, 0, input.Length, signature, 0, signature.Length);

        public override bool Verify(byte[] input, int inputOffset, int inputLength, byte[] signature, int signatureOffset, int signatureLength)
        {
            Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
            HMACSHA256.HashData(_key, input.AsSpan(inputOffset, inputLength), expected);
            // Constant time: a length mismatch is simply unequal.
            return CryptographicOperations.FixedTimeEquals(expected, signature.AsSpan(signatureOffset, signatureLength));
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
