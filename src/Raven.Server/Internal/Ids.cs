using Raven.Chat;

namespace Raven.Server.Internal;

internal static class Ids
{
    /// <summary>Rejects malformed ids with 400 before they reach storage (an unknown but well-formed id is a 404 later).</summary>
    public static string Require(string? id, string name)
    {
        if (!ObjectIds.IsValid(id))
        {
            throw ApiException.Validation($"{name} must be a 24-character hex id.");
        }

        return id;
    }
}
