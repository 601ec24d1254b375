using Raven.Chat;

namespace Raven.Server.Internal;

// Defaults for a server without the realtime layer (and for tests of the REST API alone).

internal sealed class NullChatNotifier : IChatNotifier
{
    public Task MessageCreated(Message message) => Task.CompletedTask;

    public Task MessageDeleted(Message message) => Task.CompletedTask;
}

internal sealed class NullPresenceService : IPresenceService
{
    public bool IsOnline(string userId) => false;
}
