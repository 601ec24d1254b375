using System.Buffers;
using Raven.EngineIO;

// The bare Engine.IO part of the conformance app: an echo endpoint at /engine.io/ (conformance-app.md, section 4).
public static partial class ConformanceApp
{
    static partial void ConfigureEngineIO(WebApplicationBuilder builder) => builder.Services.AddEngineIO();

    static partial void MapEngineIO(WebApplication app) => app.MapEngineIO("/engine.io/", new EchoHandler(), options =>
    {
        options.PingInterval = TimeSpan.FromMilliseconds(300);
        options.PingTimeout = TimeSpan.FromMilliseconds(200);
        options.MaxHttpBufferSize = 1_000_000;
    }).RequireCors(AnyOrigin);

    /// <summary>Sends every message back, unchanged, on the session it came from.</summary>
    private sealed class EchoHandler : IEngineIOHandler
    {
        public ValueTask OnConnectedAsync(IEngineConnection connection) => ValueTask.CompletedTask;

        // Payloads are pooled and only valid during the call, hence the copies.
        public ValueTask OnTextAsync(IEngineConnection connection, ReadOnlySequence<byte> utf8)
        {
            connection.TrySend([EngineMessage.Text(utf8.ToArray())]);
            return ValueTask.CompletedTask;
        }

        public ValueTask OnBinaryAsync(IEngineConnection connection, ReadOnlySequence<byte> data)
        {
            connection.TrySend([EngineMessage.Binary(data.ToArray())]);
            return ValueTask.CompletedTask;
        }

        public ValueTask OnClosedAsync(IEngineConnection connection, string reason) => ValueTask.CompletedTask;
    }
}
