namespace Raven.Server.Realtime;

/// <summary>Hook for the Socket.IO layer (services and the /socket.io endpoint); filled in by the realtime handlers.</summary>
internal static class RealtimeRegistration
{
    public static void AddRealtime(this WebApplicationBuilder builder)
    {
    }

    public static void MapRealtime(this WebApplication app)
    {
    }
}
