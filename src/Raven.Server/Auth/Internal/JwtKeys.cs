using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace Raven.Server.Auth.Internal;

/// <summary>
/// Key material derived once from JWT_SECRET (signs and validates) and JWT_PREVIOUS_SECRETS (validate only, so tokens
/// and upload URLs signed before a rotation keep working until they expire).
/// </summary>
internal sealed class JwtKeys
{
    /// <summary>Below this, a secret is weak (HS256 wants at least the hash size); refused outside Development.</summary>
    public const int MinimumStrongKeyBytes = 32;

    /// <summary>
    /// Tolerance on exp/nbf. Small: tokens are minted by this server (or one sharing its clock closely), and a socket is
    /// disconnected only once a reconnect with its token would be refused.
    /// </summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(5);

    public JwtKeys(string secret, IReadOnlyList<string>? previousSecrets = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        string[] all = [secret, .. previousSecrets ?? []];
        var keys = all.Select(CreateKey).ToArray();
        SigningKey = keys[0];
        IsWeak = all.Any(s => IsWeakSecret(s));
        SigningCredentials = new SigningCredentials(SigningKey, SecurityAlgorithms.HmacSha256);
        ValidationParameters = new TokenValidationParameters
        {
            // Issuer and audience are checked by AccessTokenValidator: tokens of the original erion-raven have neither.
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            ValidateIssuerSigningKey = true,
            IssuerSigningKeys = keys,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ClockSkew = ClockSkew,
        };

        // Separate keys for presigned upload URLs, so a leaked upload signature says nothing about the JWT key.
        UploadSigningKeys = [.. keys.Select(k => HKDF.DeriveKey(HashAlgorithmName.SHA256, k.Key, 32, salt: [], info: "raven/upload-url/v1"u8.ToArray()))];
    }

    /// <summary>True when a secret is shorter than 256 bits (accepted only in Development).</summary>
    public bool IsWeak { get; }

    public SymmetricSecurityKey SigningKey { get; }

    public SigningCredentials SigningCredentials { get; }

    public TokenValidationParameters ValidationParameters { get; }

    /// <summary>Upload-URL keys, the current one first.</summary>
    public IReadOnlyList<byte[]> UploadSigningKeys { get; }

    // jsonwebtoken uses the UTF-8 bytes of a string secret as the HMAC key; do the same so its tokens validate.
    public static bool IsWeakSecret(string secret) => Encoding.UTF8.GetByteCount(secret) < MinimumStrongKeyBytes;

    private static SymmetricSecurityKey CreateKey(string secret)
    {
        var key = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret));
        if (IsWeakSecret(secret))
        {
            key.CryptoProviderFactory = new CryptoProviderFactory { CustomCryptoProvider = new ShortKeyHmacCryptoProvider() };
        }

        return key;
    }
}
