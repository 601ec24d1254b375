using System.Globalization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Raven.Server.Internal;

namespace Raven.Server.Apis;

/// <summary>
/// Uploads without S3: <c>POST /api/v1/upload/presigned-url</c> hands out a short-lived signed PUT URL on this server,
/// <c>PUT /uploads/{key}</c> stores the body, <c>GET /uploads/{key}</c> serves it.
/// </summary>
internal static class UploadsApi
{
    public static void MapUploadsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/upload/presigned-url", Presign).WithTags("Uploads").RequireAuthorization()
            .WithSummary("A presigned PUT URL and the public URL of the file (bare object)");

        var files = app.MapGroup("/uploads").WithTags("Uploads").ProducesErrors(403, 404, 409, 413, 415);
        files.MapPut("/{folder}/{file}", PutAsync).WithSummary("Upload the file to a presigned URL");
        files.MapGet("/{folder}/{file}", Get).WithSummary("Download an uploaded file");
    }

    private static Ok<PresignedUploadDto> Presign([FromBody] PresignRequest request, HttpContext context, UploadStore store)
    {
        if (string.IsNullOrWhiteSpace(request.Filename) || string.IsNullOrWhiteSpace(request.ContentType))
        {
            throw ApiException.Validation("filename and contentType are required.");
        }

        var contentType = UploadStore.NormalizeContentType(request.ContentType)
            ?? throw UnsupportedType(request.ContentType);
        var key = UploadStore.NewKey(request.Folder, request.Filename, contentType);
        var (expires, signature) = store.Sign(key, contentType);
        var publicUrl = PublicUrl(context.Request, key);
        var uploadUrl = string.Create(CultureInfo.InvariantCulture, $"{publicUrl}?expires={expires}&sig={signature}");
        return TypedResults.Ok(new PresignedUploadDto(uploadUrl, publicUrl, key));
    }

    private static async Task<Ok<Envelope<UploadedFileDto>>> PutAsync(
        string folder, string file, [FromQuery] long? expires, [FromQuery] string? sig,
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

        if (expires is null || !store.VerifySignature(key, contentType, expires.Value, sig))
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

            // Keys are single-use: an existing file is never replaced.
            File.Move(temp, path, overwrite: false);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(store.MaxBytes);
        }
        catch (IOException) when (File.Exists(path))
        {
            throw new ApiException(StatusCodes.Status409Conflict, "CONFLICT", "This upload key has been used already.");
        }
        finally
        {
            File.Delete(temp);
        }

        ServerLog.UploadStored(loggers.CreateLogger(typeof(UploadsApi).FullName!), key, size);
        return TypedResults.Ok(new Envelope<UploadedFileDto>(true, new UploadedFileDto(key, PublicUrl(context.Request, key), size, contentType)));
    }

    private static IResult Get(string folder, string file, HttpContext context, UploadStore store)
    {
        var path = store.PathFor(folder, file);
        if (path is null || !File.Exists(path))
        {
            throw new ApiException(StatusCodes.Status404NotFound, "NOT_FOUND", "File not found.");
        }

        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        // Even an allowed type must never run script in our origin if a browser renders it.
        headers.ContentSecurityPolicy = "default-src 'none'; sandbox";
        headers.CacheControl = "public, max-age=31536000, immutable";
        return TypedResults.PhysicalFile(path, UploadStore.ContentTypeOf(file), enableRangeProcessing: true);
    }

    // Absolute, on the host the client used, so the URLs work wherever Raven is reached from.
    private static string PublicUrl(HttpRequest request, string key) =>
        $"{request.Scheme}://{request.Host}{request.PathBase}/uploads/{key}";

    private static ApiException UnsupportedType(string? contentType) =>
        new(StatusCodes.Status415UnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", $"Content type '{contentType}' is not allowed.");

    private static ApiException TooLarge(long max) =>
        new(StatusCodes.Status413PayloadTooLarge, "PAYLOAD_TOO_LARGE", $"The file is larger than {max} bytes.");
}
