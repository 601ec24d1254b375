using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace Raven.Server.Auth.Internal;

/// <summary>Key material derived once from JWT_SECRET.</summary>
internal sealed class JwtKeys
{
    // Below this, IdentityModel's own HMAC provider refuses the key (HS256 wants at least the hash size).
    private const int MinimumStrongKeyBytes = 32;

    public JwtKeys(string secret)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        // jsonwebtoken uses the UTF-8 bytes of a string secret as the HMAC key; do the same so its tokens validate.
        var keyBytes = Encoding.UTF8.GetBytes(secret);
        IsWeak = keyBytes.Length < MinimumStrongKeyBytes;
        SigningKey = new SymmetricSecurityKey(keyBytes);
        if (IsWeak)
        {
            SigningKey.CryptoProviderFactory = new CryptoProviderFactory { CustomCryptoProvider = new ShortKeyHmacCryptoProvider() };
        }

        SigningCredentials = new SigningCredentials(SigningKey, SecurityAlgorithms.HmacSha256);
        ValidationParameters = new TokenValidationParameters
        {
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            ValidateIssuerSigningKey = true,
            IssuerSigningKey = SigningKey,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ClockSkew = TimeSpan.FromSeconds(30),
        };

        // A separate key for presigned upload URLs, so a leaked upload signature says nothing about the JWT key.
        UploadSigningKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, keyBytes, 32, salt: [], info: "raven/upload-url/v1"u8.ToArray());
    }

    /// <summary>True when the secret is shorter than 256 bits (accepted for compatibility, but weak).</summary>
    public bool IsWeak { get; }

    public SymmetricSecurityKey SigningKey { get; }

    public SigningCredentials SigningCredentials { get; }

    public TokenValidationParameters ValidationParameters { get; }

    public byte[] UploadSigningKey { get; }
}
