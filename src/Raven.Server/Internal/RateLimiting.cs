using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace Raven.Server.Internal;

/// <summary>Per-client-IP fixed-window limit on the credential endpoints (sign-up, sign-in, token, refresh).</summary>
internal static class RateLimiting
{
    public const string AuthPolicy = "auth";

    public static void AddRavenRateLimiting(this IServiceCollection services, RavenServerOptions options)
    {
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(AuthPolicy, context =>
            {
                var ip = context.Connection.RemoteIpAddress;
                if (options.AuthRateLimit == 0 || (ip is not null && IPAddress.IsLoopback(ip) && !options.AuthRateLimitLoopback))
                {
                    return RateLimitPartition.GetNoLimiter("unlimited");
                }

                return RateLimitPartition.GetFixedWindowLimiter(ip?.ToString() ?? "unknown", _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = options.AuthRateLimit,
                    Window = TimeSpan.FromSeconds(options.AuthRateLimitWindowSeconds),
                    QueueLimit = 0,
                });
            });
            limiter.OnRejected = async (rejected, ct) =>
            {
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait)
                    ? (int)Math.Ceiling(wait.TotalSeconds)
                    : options.AuthRateLimitWindowSeconds;
                retryAfter = Math.Max(1, retryAfter);
                var http = rejected.HttpContext;
                http.RequestServices.GetRequiredService<RavenMetrics>().RateLimitRejected(AuthPolicy);
                http.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                ServerLog.RateLimited(
                    http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RateLimiting).FullName!),
                    http.Connection.RemoteIpAddress?.ToString(),
                    http.Request.Path);
                await ApiErrors.WriteAsync(http, StatusCodes.Status429TooManyRequests, "RATE_LIMITED", "Too many requests; try again later.", retryAfter: retryAfter);
            };
        });
    }
}
