using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.RateLimiting;

namespace Raven.Server.Internal;

/// <summary>
/// Per-client-IP fixed-window limits: credentials (sign-up, sign-in, token, refresh; AUTH_RATE_LIMIT per
/// AUTH_RATE_LIMIT_WINDOW_SECONDS), user search (SEARCH_RATE_LIMIT per minute), presigned uploads (UPLOAD_RATE_LIMIT)
/// and REST message sends (MESSAGE_RATE_LIMIT). Loopback is exempt unless AUTH_RATE_LIMIT_LOOPBACK (local load tests);
/// behind a KNOWN_PROXIES proxy the client IP is the forwarded one. Per-account limits live in LoginThrottle.
/// </summary>
internal static class RateLimiting
{
    public const string AuthPolicy = "auth";
    public const string SearchPolicy = "search";
    public const string UploadPolicy = "upload";
    public const string MessagePolicy = "message";

    public static void AddRavenRateLimiting(this IServiceCollection services, RavenServerOptions options)
    {
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(AuthPolicy, context => PerIp(context, options, AuthPolicy, options.AuthRateLimit, options.AuthRateLimitWindowSeconds));
            limiter.AddPolicy(SearchPolicy, context => PerIp(context, options, SearchPolicy, options.SearchRateLimit, 60));
            limiter.AddPolicy(UploadPolicy, context => PerIp(context, options, UploadPolicy, options.UploadRateLimit, 60));
            limiter.AddPolicy(MessagePolicy, context => PerIp(context, options, MessagePolicy, options.MessageRateLimit, 60));
            limiter.OnRejected = async (rejected, ct) =>
            {
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait)
                    ? (int)Math.Ceiling(wait.TotalSeconds)
                    : options.AuthRateLimitWindowSeconds;
                retryAfter = Math.Max(1, retryAfter);
                var http = rejected.HttpContext;
                var policy = http.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName;
                http.RequestServices.GetRequiredService<RavenMetrics>().RateLimitRejected(policy ?? "global");
                ServerLog.RateLimited(
                    http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RateLimiting).FullName!),
                    http.Connection.RemoteIpAddress?.ToString(),
                    http.Request.Path);
                await ApiErrors.WriteAsync(http, StatusCodes.Status429TooManyRequests, "RATE_LIMITED", "Too many requests; try again later.", retryAfter: retryAfter);
            };
        });

        services.Configure<ForwardedHeadersOptions>(forwarded =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // Only the configured proxies are believed (the defaults would trust loopback, i.e. anyone on the host).
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var entry in options.KnownProxyEntries)
            {
                if (IPAddress.TryParse(entry, out var address))
                {
                    forwarded.KnownProxies.Add(address);
                }
                else
                {
                    forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(entry));
                }
            }
        });
    }

    private static RateLimitPartition<string> PerIp(HttpContext context, RavenServerOptions options, string policy, int limit, int windowSeconds)
    {
        var ip = context.Connection.RemoteIpAddress;
        if (limit == 0 || (ip is not null && IPAddress.IsLoopback(ip) && !options.AuthRateLimitLoopback))
        {
            return RateLimitPartition.GetNoLimiter("unlimited");
        }

        return RateLimitPartition.GetFixedWindowLimiter(
            string.Create(CultureInfo.InvariantCulture, $"{policy}:{ip}"),
            _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = limit,
                Window = TimeSpan.FromSeconds(windowSeconds),
                QueueLimit = 0,
            });
    }
}
