using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Raven.Testing;

namespace Raven.SocketIO.Tests.OfficialClient;

/// <summary>
/// A deliberately tiny WebSocket-only Engine.IO/Socket.IO responder, independent of Raven's own server, so the
/// Node driver plumbing (commands, events, binary, acks, connect errors) is tested on its own. It implements just
/// what <see cref="NodeDriverTests"/> needs and nothing else.
/// </summary>
internal static class FakeSocketIOServer
{
    public static Task<TestHost> StartAsync() =>
        TestHost.StartAsync(null, app =>
        {
            app.UseWebSockets();
            app.Map("/socket.io/", async context =>
            {
                if (!context.WebSockets.IsWebSocketRequest)
                {
                    context.Response.StatusCode = StatusCodes.Status400BadRequest;
                    return;
                }

                using var ws = await context.WebSockets.AcceptWebSocketAsync();
                await RunAsync(ws, context.RequestAborted);
            });
        });

    private static async Task RunAsync(WebSocket ws, CancellationToken cancellationToken)
    {
        await SendTextAsync(ws, """0{"sid":"fake","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}""");
        string? pendingBinaryHeader = null;
        var buffer = new byte[64 * 1024];
        while (ws.State == WebSocketState.Open)
        {
            using var message = new MemoryStream();
            WebSocketReceiveResult result;
            do
            {
                try
                {
                    result = await ws.ReceiveAsync(buffer, cancellationToken);
                }
                catch (Exception e) when (e is WebSocketException or OperationCanceledException)
                {
                    return;
                }

                message.Write(buffer, 0, result.Count);
            }
            while (!result.EndOfMessage);

            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }

            if (result.MessageType == WebSocketMessageType.Binary)
            {
                // Echo the attachment, after its header when it belongs to a binary event.
                if (pendingBinaryHeader is not null)
                {
                    await SendTextAsync(ws, pendingBinaryHeader);
                    pendingBinaryHeader = null;
                }

                await ws.SendAsync(message.ToArray(), WebSocketMessageType.Binary, true, cancellationToken);
                continue;
            }

            var text = Encoding.UTF8.GetString(message.ToArray());
            if (text.StartsWith("40", StringComparison.Ordinal))
            {
                var auth = text.Length > 2 ? JsonNode.Parse(text[2..]) : null;
                if (auth?["token"]?.GetValue<string>() == "bad")
                {
                    await SendTextAsync(ws, """44{"message":"unauthorized","data":{"code":42}}""");
                    continue;
                }

                await SendTextAsync(ws, """40{"sid":"fake-socket"}""");
                await SendTextAsync(ws, "42" + new JsonArray("welcome", auth?.DeepClone()).ToJsonString());
            }
            else if (text.StartsWith("451-", StringComparison.Ordinal))
            {
                pendingBinaryHeader = text;
            }
            else if (text.StartsWith("42", StringComparison.Ordinal))
            {
                await OnEventAsync(ws, text);
            }
            else if (text.StartsWith("43", StringComparison.Ordinal))
            {
                // The client's answer to our "question": report it back as an event.
                var array = JsonNode.Parse(text[text.IndexOf('[')..])!.AsArray();
                array.Insert(0, "answer");
                await SendTextAsync(ws, "42" + array.ToJsonString());
            }
            else if (text.StartsWith('4'))
            {
                // A bare Engine.IO message (raw engine.io-client): echo it.
                await SendTextAsync(ws, text);
            }
        }
    }

    private static async Task OnEventAsync(WebSocket ws, string text)
    {
        var bracket = text.IndexOf('[');
        var ackId = bracket > 2 ? text[2..bracket] : null;
        var array = JsonNode.Parse(text[bracket..])!.AsArray();
        var name = array[0]!.GetValue<string>();
        switch (name)
        {
            case "ask":
                await SendTextAsync(ws, "421" + new JsonArray("question", 1).ToJsonString());
                break;
            case "kick":
                await SendTextAsync(ws, "41");
                break;
            case "silent":
                break; // never acks, to exercise the client-side ack timeout
            default:
                if (ackId is not null)
                {
                    array.RemoveAt(0);
                    await SendTextAsync(ws, "43" + ackId + array.ToJsonString());
                }
                else
                {
                    await SendTextAsync(ws, text);
                }

                break;
        }
    }

    private static Task SendTextAsync(WebSocket ws, string text) =>
        ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);
}
