using System.Globalization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using System.Security.Claims;
using Raven.Server.Auth.Internal;
using Raven.Server.Internal;

namespace Raven.Server.Apis;

/// <summary>
/// Uploads without S3: <c>POST /api/v1/upload/presigned-url</c> hands out a short-lived signed PUT URL on this server,
/// bound to the caller; <c>PUT /uploads/{key}</c> stores the body after checking its bytes against the declared type and
/// the caller's quota; <c>GET /uploads/{key}?sig=</c> serves it only with the download signature that is part of the
/// public URL (the capability the uploader puts into a message, so the conversation's participants can open it).
/// </summary>
internal static class UploadsApi
{
    public static void MapUploadsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/upload/presigned-url", PresignAsync).WithTags("Uploads").RequireAuthorization()
            .RequireRateLimiting(RateLimiting.UploadPolicy).ProducesErrors(413, 415, 429)
            .WithSummary("A presigned PUT URL and the signed download URL of the file (bare object)");

        var files = app.MapGroup("/uploads").WithTags("Uploads").ProducesErrors(403, 404, 409, 413, 415);
        files.MapPut("/{folder}/{file}", PutAsync).WithSummary("Upload the file to a presigned URL");
        files.MapGet("/{folder}/{file}", Get).WithSummary("Download an uploaded file");
    }

    private static async Task<Ok<PresignedUploadDto>> PresignAsync(
        [FromBody] PresignRequest request, ClaimsPrincipal principal, HttpContext context, UploadStore store, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Filename) || string.IsNullOrWhiteSpace(request.ContentType))
        {
            throw ApiException.Validation("filename and contentType are required.");
        }

        var contentType = UploadStore.NormalizeContentType(request.ContentType)
            ?? throw UnsupportedType(request.ContentType);
        var owner = principal.GetUserId();
        if (store.Quota.Enabled && await store.Quota.UsedAsync(owner, ct) >= store.Quota.QuotaBytes)
        {
            throw QuotaExceeded(store.Quota.QuotaBytes);
        }

        var key = UploadStore.NewKey(request.Folder, request.Filename, contentType);
        var (expires, signature) = store.SignUpload(key, contentType, owner);
        var location = Location(context.Request, key);
        var uploadUrl = string.Create(CultureInfo.InvariantCulture, $"{location}?expires={expires}&owner={owner}&sig={signature}");
        return TypedResults.Ok(new PresignedUploadDto(uploadUrl, PublicUrl(context.Request, store, key), key));
    }

    private static async Task<Ok<Envelope<UploadedFileDto>>> PutAsync(
        string folder, string file, [FromQuery] long? expires, [FromQuery] string? owner, [FromQuery] string? sig,
        HttpContext context, UploadStore store, ILoggerFactory loggers)
    {
        var path = store.PathFor(folder, file)
            ?? throw new ApiException(StatusCodes.Status404NotFound, "NOT_FOUND", "No such upload key.");
        var key = $"{folder}/{file}";
        var contentType = UploadStore.NormalizeContentType(context.Request.ContentType);
        if (contentType is null || contentType != UploadStore.ContentTypeOf(file))
        {
            throw UnsupportedType(context.Request.ContentType);
        }

        if (expires is null || owner is null || !store.VerifyUpload(key, contentType, expires.Value, owner, sig))
        {
            throw new ApiException(StatusCodes.Status403Forbidden, "INVALID_SIGNATURE", "The upload URL signature is invalid.");
        }

        if (store.IsExpired(expires.Value))
        {
            throw new ApiException(StatusCodes.Status403Forbidden, "URL_EXPIRED", "The upload URL has expired.");
        }

        if (context.Request.ContentLength > store.MaxBytes)
        {
            throw TooLarge(store.MaxBytes);
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = store.MaxBytes;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".part";
        long size = 0;
        var reserved = false;
        try
        {
            await using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: true))
            {
                var buffer = new byte[64 * 1024];
                int read;
                while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
                {
                    size += read;
                    if (size > store.MaxBytes)
                    {
                        throw TooLarge(store.MaxBytes);
                    }

                    await output.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted);
                }
            }

            if (!await HeadMatchesAsync(temp, contentType, context.RequestAborted))
            {
                throw new ApiException(
                    StatusCodes.Status415UnsupportedMediaType, "CONTENT_TYPE_MISMATCH", $"The file's content is not {contentType}.");
            }

            if (File.Exists(path))
            {
                throw Used();
            }

            if (!await store.Quota.TryAddAsync(owner, size, context.RequestAborted))
            {
                throw QuotaExceeded(store.Quota.QuotaBytes);
            }

            reserved = true;
            // Keys are single-use: an existing file is never replaced.
            File.Move(temp, path, overwrite: false);
            reserved = false;
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(store.MaxBytes);
        }
        catch (IOException) when (File.Exists(path))
        {
            throw Used();
        }
        finally
        {
            File.Delete(temp);
            if (reserved)
            {
                await store.Quota.ReleaseAsync(owner, size);
            }
        }

        ServerLog.UploadStored(loggers.CreateLogger(typeof(UploadsApi).FullName!), key, size);
        return TypedResults.Ok(new Envelope<UploadedFileDto>(true, new UploadedFileDto(key, PublicUrl(context.Request, store, key), size, contentType)));
    }

    private static IResult Get(string folder, string file, [FromQuery] string? sig, HttpContext context, UploadStore store)
    {
        var path = store.PathFor(folder, file);
        // Same answer for a missing file and a missing or wrong signature: nothing tells a prober which keys exist.
        if (path is null || !store.VerifyDownload($"{folder}/{file}", sig) || !File.Exists(path))
        {
            throw new ApiException(StatusCodes.Status404NotFound, "NOT_FOUND", "File not found.");
        }

        var contentType = UploadStore.ContentTypeOf(file);
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        // Even an allowed type must never run script in our origin if a browser renders it.
        headers.ContentSecurityPolicy = "default-src 'none'; sandbox";
        // Browsers may keep it; shared caches (proxies, CDNs) must not serve it to anyone else.
        headers.CacheControl = "private, max-age=86400";
        headers.ContentDisposition = UploadContent.IsInline(contentType) ? "inline" : $"attachment; filename=\"{file}\"";
        return TypedResults.PhysicalFile(path, contentType, enableRangeProcessing: true);
    }

    private static async Task<bool> HeadMatchesAsync(string path, string contentType, CancellationToken ct)
    {
        var head = new byte[UploadContent.SniffLength];
        await using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, useAsync: true);
        var length = await input.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, ct);
        return UploadContent.Matches(contentType, head.AsSpan(0, length));
    }

    // Absolute, on the host the client used, so the URLs work wherever Raven is reached from.
    private static string Location(HttpRequest request, string key) =>
        $"{request.Scheme}://{request.Host}{request.PathBase}/uploads/{key}";

    // The URL a message keeps: the download signature makes it work for whoever the uploader shares it with, and only them.
    private static string PublicUrl(HttpRequest request, UploadStore store, string key) =>
        $"{Location(request, key)}?sig={store.SignDownload(key)}";

    private static ApiException Used() =>
        new(StatusCodes.Status409Conflict, "CONFLICT", "This upload key has been used already.");

    private static ApiException QuotaExceeded(long quota) =>
        new(StatusCodes.Status413PayloadTooLarge, "QUOTA_EXCEEDED", $"Your uploads would exceed your quota of {quota} bytes.");

    private static ApiException UnsupportedType(string? contentType) =>
        new(StatusCodes.Status415UnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", $"Content type '{contentType}' is not allowed.");

    private static ApiException TooLarge(long max) =>
        new(StatusCodes.Status413PayloadTooLarge, "PAYLOAD_TOO_LARGE", $"The file is larger than {max} bytes.");
}
