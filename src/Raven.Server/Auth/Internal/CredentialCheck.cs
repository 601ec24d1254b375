using Raven.Chat;
using Raven.Server.Internal;

namespace Raven.Server.Auth.Internal;

/// <summary>
/// Every password check of the REST API: refused early while the account is locked out (<see cref="LoginThrottle"/>),
/// run through the hashing gate (<see cref="PasswordHashGate"/>), and counted when wrong.
/// </summary>
internal sealed class CredentialCheck(IChatService chat, LoginThrottle throttle, PasswordHashGate hashing)
{
    /// <summary>The user, or null for a wrong email/password; 429 while the account is locked.</summary>
    public async Task<User?> SignInAsync(string email, string password, CancellationToken ct)
    {
        var account = LoginThrottle.SignInKey(email);
        ThrowIfLocked(account);
        var user = await hashing.RunAsync(() => chat.VerifyCredentialsAsync(email.Trim(), password, ct), ct);
        if (user is null)
        {
            throttle.Failed(account);
        }
        else
        {
            throttle.Succeeded(account);
        }

        return user;
    }

    /// <summary>A profile update; when it changes the password, the current password is checked like a sign-in.</summary>
    public async Task<User> UpdateProfileAsync(string userId, ProfileUpdate update, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(update.Password))
        {
            return await chat.UpdateProfileAsync(userId, update, ct);
        }

        var account = LoginThrottle.PasswordCheckKey(userId);
        ThrowIfLocked(account);
        try
        {
            var user = await hashing.RunAsync(() => chat.UpdateProfileAsync(userId, update, ct), ct);
            throttle.Succeeded(account);
            return user;
        }
        catch (ChatException ex) when (ex.Details == ChatService.CurrentPasswordIncorrect)
        {
            throttle.Failed(account);
            throw;
        }
    }

    private void ThrowIfLocked(string account)
    {
        if (throttle.RetryAfter(account) is { } wait)
        {
            throw ApiException.TooManyRequests("Too many failed password attempts for this account; try again later.", wait);
        }
    }
}
