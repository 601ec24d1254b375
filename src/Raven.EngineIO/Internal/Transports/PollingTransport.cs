using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;

namespace Raven.EngineIO.Internal;

/// <summary>
/// HTTP long-polling: a GET collects what the session's outbox holds (or parks until something arrives), a POST
/// hands a payload of 0x1e-separated packets to the session. Only the request's own handler writes its response.
/// </summary>
internal static class PollingTransport
{
    /// <summary>A long-polling GET: answers at once if anything is queued, otherwise waits for a signal.</summary>
    public static async Task PollAsync(EngineSession session, HttpContext context)
    {
        var server = session.Server;
        var outbox = session.Outbox;
        ValueTask<Wake> wait = default;
        var parked = false;
        var overlap = false;
        var frames = Array.Empty<OutFrame>();
        var count = 0;
        var noop = false;
        var drainAndClose = false;
        lock (session.Gate)
        {
            var phase = session.Phase;
            if (phase == SessionPhase.Closed && session.DrainOnNextPoll)
            {
                session.DrainOnNextPoll = false;
                count = outbox.TakeAll(out frames);
                drainAndClose = true;
            }
            else if (phase is SessionPhase.Closed or SessionPhase.WebSocket)
            {
                // Raced with a close or an upgrade since the lookup.
            }
            else if (session.HasParkedConsumerLocked)
            {
                // Two GETs at once: the client is confused or hostile. Node answers the first with a close packet.
                session.SignalLocked(Wake.Overlap);
                overlap = true;
            }
            else if (phase == SessionPhase.Upgrading && session.Probed)
            {
                noop = true;
            }
            else if (outbox.Count > 0)
            {
                count = outbox.TakeAll(out frames);
            }
            else if (session.TryParkPollLocked(context.RequestAborted, out wait))
            {
                parked = true;
            }
            else
            {
                // The previous GET was woken but has not answered yet: this one overlaps it.
                overlap = true;
            }
        }

        if (overlap)
        {
            session.Close(EngineCloseReasons.TransportError, CloseKind.Abrupt);
            await server.RejectAsync(context, EngineError.BadRequest);
            return;
        }

        if (noop)
        {
            await WriteControlAsync(session, context, PacketType.Noop);
            return;
        }

        if (drainAndClose)
        {
            server.Remove(session);
            await WritePayloadAsync(session, context, frames, count, trailingClose: true);
            return;
        }

        if (!parked && count == 0)
        {
            await server.RejectAsync(context, session.IsConnected ? EngineError.BadRequest : EngineError.UnknownSid);
            return;
        }

        if (parked)
        {
            Wake wake;
            using (context.RequestAborted.UnsafeRegister(
                static (state, token) => ((EngineSession)state!).AbortParkedPoll(token), session))
            {
                wake = await wait;
            }

            switch (wake)
            {
                case Wake.Aborted:
                    session.Close(EngineCloseReasons.TransportError, CloseKind.Abrupt);
                    return;
                case Wake.Noop:
                    await WriteControlAsync(session, context, PacketType.Noop);
                    return;
                case Wake.Overlap:
                    await WriteControlAsync(session, context, PacketType.Close);
                    return;
                case Wake.Closed:
                    lock (session.Gate)
                    {
                        count = outbox.TakeAll(out frames);
                    }

                    await WritePayloadAsync(session, context, frames, count, trailingClose: true);
                    return;
                default:
                    var closed = false;
                    lock (session.Gate)
                    {
                        if (session.Phase == SessionPhase.Upgrading && session.Probed)
                        {
                            noop = true;
                        }
                        else
                        {
                            // Closed since the wake-up (say, the wheel found the deadline passed): an abrupt close
                            // emptied the queue, a graceful one left it to deliver. Either way the client must learn
                            // of the close now, not from a 400 on its next GET.
                            closed = session.Phase == SessionPhase.Closed;
                            count = outbox.TakeAll(out frames);
                        }
                    }

                    if (closed)
                    {
                        await WritePayloadAsync(session, context, frames, count, trailingClose: true);
                        return;
                    }

                    if (noop || count == 0)
                    {
                        await WriteControlAsync(session, context, PacketType.Noop);
                        return;
                    }

                    break;
            }
        }

        await WritePayloadAsync(session, context, frames, count, trailingClose: false);
    }

    /// <summary>A polling POST: reads the whole payload, hands its packets to the handler, then answers <c>ok</c>.</summary>
    public static async Task PostAsync(EngineSession session, HttpContext context)
    {
        var server = session.Server;
        if (!session.IsConnected)
        {
            await server.RejectAsync(context, EngineError.UnknownSid);
            return;
        }

        var limit = server.Options.MaxHttpBufferSize;
        if (context.Request.ContentLength > limit)
        {
            await RejectTooLargeAsync(session, context, limit);
            return;
        }

        // Our limit is the one that counts: keep the server's own body limit (30 MB in Kestrel) out of the way.
        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = null;
        }

        var reader = context.Request.BodyReader;
        ReadResult read;
        try
        {
            while (true)
            {
                read = await reader.ReadAsync(context.RequestAborted);
                if (read.Buffer.Length > limit)
                {
                    reader.AdvanceTo(read.Buffer.End);
                    await RejectTooLargeAsync(session, context, limit);
                    return;
                }

                if (read.IsCompleted || read.IsCanceled)
                {
                    break;
                }

                reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await RejectTooLargeAsync(session, context, limit);
            return;
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or BadHttpRequestException)
        {
            // The client gave up sending; its packets never arrived, which it will notice.
            return;
        }

        PacketOutcome outcome;
        try
        {
            outcome = await session.ProcessPayloadAsync(read.Buffer);
        }
        finally
        {
            reader.AdvanceTo(read.Buffer.End);
        }

        if (outcome == PacketOutcome.Invalid)
        {
            await server.RejectAsync(context, EngineError.BadRequest);
            return;
        }

        context.Response.ContentType = "text/plain; charset=UTF-8";
        context.Response.ContentLength = 2;
        context.Response.BodyWriter.Write("ok"u8);
    }

    private static async Task RejectTooLargeAsync(EngineSession session, HttpContext context, int limit)
    {
        EngineIOLog.PayloadTooLarge(session.Server.Logger, session.Id, limit);
        session.Close(EngineCloseReasons.TransportError, CloseKind.Abrupt);
        await session.Server.RejectAsync(context, EngineError.BadRequest, status: StatusCodes.Status413PayloadTooLarge);
    }

    private static Task WriteControlAsync(EngineSession session, HttpContext context, byte type)
        => WritePayloadAsync(session, context, [], 0, trailingClose: false, control: type);

    private static async Task WritePayloadAsync(EngineSession session, HttpContext context, OutFrame[] frames, int count, bool trailingClose, byte control = 0)
    {
        try
        {
            long length = control != 0 ? 1 : 0;
            for (var i = 0; i < count; i++)
            {
                length += PollingBytes(frames[i]).Length + (length > 0 ? 1 : 0);
            }

            if (trailingClose)
            {
                length += length > 0 ? 2 : 1;
            }

            var response = context.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "text/plain; charset=UTF-8";
            response.ContentLength = length;
            var writer = response.BodyWriter;
            var first = true;
            for (var i = 0; i < count; i++)
            {
                WriteRecord(writer, PollingBytes(frames[i]).Span, ref first);
            }

            if (control != 0)
            {
                WriteRecord(writer, SessionOutbox.ControlFrame(control), ref first);
            }

            if (trailingClose)
            {
                WriteRecord(writer, SessionOutbox.ControlFrame(PacketType.Close), ref first);
            }

            session.Server.Metrics.Sent(count + (control != 0 ? 1 : 0) + (trailingClose ? 1 : 0), length);
            await writer.FlushAsync(context.RequestAborted);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or Microsoft.AspNetCore.Connections.ConnectionAbortedException)
        {
            // The client left mid-response; what was taken from the queue is lost, as with any dropped connection.
        }
        finally
        {
            SessionOutbox.Return(frames, count);
        }

        static void WriteRecord(PipeWriter writer, ReadOnlySpan<byte> bytes, ref bool first)
        {
            if (!first)
            {
                writer.GetSpan(1)[0] = PacketType.RecordSeparator;
                writer.Advance(1);
            }

            first = false;
            writer.Write(bytes);
        }
    }

    private static ReadOnlyMemory<byte> PollingBytes(in OutFrame frame) => frame.Message switch
    {
        null => SessionOutbox.ControlFrame(frame.Control),
        { IsBinary: true } message => message.GetBase64ForPolling(),
        var message => message.GetPrefixedText(),
    };
}
