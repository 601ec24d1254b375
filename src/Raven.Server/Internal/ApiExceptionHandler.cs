using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Raven.Chat;

namespace Raven.Server.Internal;

/// <summary>Turns every exception escaping an endpoint into the JSON error envelope; never a stack trace.</summary>
internal sealed class ApiExceptionHandler(ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        switch (exception)
        {
            case ChatException chat:
                var (status, error) = ApiErrors.Map(chat.Kind);
                await ApiErrors.WriteAsync(httpContext, status, error, chat.Message, chat.Details);
                return true;

            case ApiException api:
                await ApiErrors.WriteAsync(httpContext, api.Status, api.Error, api.Message, api.Details, api.RetryAfter);
                return true;

            case BadHttpRequestException bad:
                var (code, message) = bad.StatusCode switch
                {
                    StatusCodes.Status413PayloadTooLarge => ("PAYLOAD_TOO_LARGE", "The request body is too large."),
                    StatusCodes.Status400BadRequest when bad.InnerException is JsonException || bad.Message.Contains("JSON", StringComparison.Ordinal)
                        => ("INVALID_JSON", "The request body is missing or is not valid JSON."),
                    _ => ("BAD_REQUEST", bad.Message),
                };
                await ApiErrors.WriteAsync(httpContext, bad.StatusCode, code, message);
                return true;

            case OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested:
                // The client went away; nobody is left to read an answer.
                return true;

            default:
                ServerLog.UnhandledException(logger, httpContext.Request.Method, httpContext.Request.Path, exception);
                await ApiErrors.WriteAsync(httpContext, StatusCodes.Status500InternalServerError, "INTERNAL_ERROR", "An unexpected error occurred.");
                return true;
        }
    }
}
