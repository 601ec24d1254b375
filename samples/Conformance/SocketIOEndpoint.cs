using Raven.SocketIO;

/// <summary>The <c>/socket.io/</c> application of section 5 of docs/conformance-app.md.</summary>
public static partial class ConformanceApp
{
    static partial void ConfigureSocketIO(WebApplicationBuilder builder)
    {
        builder.Services.AddSocketIO(o =>
        {
            o.EngineIO.PingInterval = TimeSpan.FromMilliseconds(300);
            o.EngineIO.PingTimeout = TimeSpan.FromMilliseconds(200);
            o.EngineIO.MaxHttpBufferSize = 1_000_000;
            // The checker's Engine.IO heartbeat tests on /socket.io/ never CONNECT and last ~910 ms.
            o.ConnectTimeout = TimeSpan.FromMilliseconds(1000);
        });
    }

    static partial void MapSocketIO(WebApplication app)
    {
        var io = app.Services.GetRequiredService<SocketIOServer>();

        io.Of("/").OnConnection(socket =>
        {
            // The checker expects "auth" as the very next frame after the CONNECT reply.
            socket.Emit("auth", socket.Handshake.Auth);
            socket.On("message", e => { socket.Emit("message-back", e.ToArray()); });
            socket.On("message-with-ack", e => { e.Ack(e.ToArray()); });
        });

        io.Of("/custom").OnConnection(socket => { socket.Emit("auth", socket.Handshake.Auth); });

        app.MapSocketIO("/socket.io/").RequireCors(AnyOrigin);
    }
}
