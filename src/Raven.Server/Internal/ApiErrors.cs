using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Raven.Chat;

namespace Raven.Server.Internal;

/// <summary>
/// The error body of every REST failure: <c>{success:false, code, error, message, details?}</c>.
/// <c>code</c> is the HTTP status as a number (as the original API and the bench checker expect);
/// <c>error</c> is the symbolic reason (VALIDATION_ERROR, TOKEN_EXPIRED, ...).
/// </summary>
internal sealed record ApiErrorBody(
    bool Success,
    int Code,
    string Error,
    string Message,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Details,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? RetryAfter = null);

/// <summary>An expected REST failure raised by the host itself (chat failures arrive as <see cref="ChatException"/>).</summary>
internal sealed class ApiException(int status, string error, string message, string? details = null) : Exception(message)
{
    public int Status { get; } = status;
    public string Error { get; } = error;
    public string? Details { get; } = details;

    /// <summary>Seconds the client should wait (429/503): sent as Retry-After and <c>retryAfter</c>.</summary>
    public int? RetryAfter { get; init; }

    public static ApiException TooManyRequests(string message, TimeSpan retryAfter) =>
        new(StatusCodes.Status429TooManyRequests, "RATE_LIMITED", message) { RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) };

    public static ApiException Validation(string message, string? details = null) =>
        new(StatusCodes.Status400BadRequest, "VALIDATION_ERROR", message, details);
}

internal static class ApiErrors
{
    /// <summary>The one mapping from chat failure kinds to HTTP statuses and symbolic codes.</summary>
    public static (int Status, string Error) Map(ChatErrorKind kind) => kind switch
    {
        ChatErrorKind.Validation => (StatusCodes.Status400BadRequest, "VALIDATION_ERROR"),
        ChatErrorKind.Unauthenticated => (StatusCodes.Status401Unauthorized, "UNAUTHORIZED"),
        ChatErrorKind.PermissionDenied => (StatusCodes.Status403Forbidden, "PERMISSION_DENIED"),
        ChatErrorKind.NotFound => (StatusCodes.Status404NotFound, "NOT_FOUND"),
        ChatErrorKind.Conflict => (StatusCodes.Status409Conflict, "CONFLICT"),
        ChatErrorKind.Unavailable => (StatusCodes.Status503ServiceUnavailable, "SERVICE_UNAVAILABLE"),
        _ => (StatusCodes.Status500InternalServerError, "INTERNAL_ERROR"),
    };

    /// <summary>The error envelope as a result, for handlers that must keep headers they set (e.g. cookie deletions).</summary>
    public static IResult Result(int status, string error, string message, string? details = null) =>
        TypedResults.Json(new ApiErrorBody(false, status, error, message, details), statusCode: status);

    public static Task WriteAsync(HttpContext context, int status, string error, string message, string? details = null, int? retryAfter = null)
    {
        if (context.Response.HasStarted)
        {
            return Task.CompletedTask;
        }

        context.Response.StatusCode = status;
        context.Response.Headers.CacheControl = "no-store";
        if (retryAfter is { } seconds)
        {
            context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var json = context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        return context.Response.WriteAsJsonAsync(
            new ApiErrorBody(false, status, error, message, details, retryAfter),
            json,
            contentType: "application/json; charset=utf-8",
            context.RequestAborted);
    }
}
