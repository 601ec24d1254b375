using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Raven.Chat;
using Raven.Server.Apis;
using Raven.Server.Auth;
using Raven.Server.Auth.Internal;
using Raven.Server.Internal;
using Raven.Server.Realtime;
using Scalar.AspNetCore;

namespace Raven.Server;

/// <summary>Builds the Raven server; <c>Program</c> and the functional tests use the same code.</summary>
public static class RavenServerHost
{
    /// <summary>
    /// Creates the application from command-line <paramref name="args"/> (e.g. <c>--urls</c>, <c>--DATA_DIR=...</c>,
    /// <c>--JWT_SECRET=...</c>, <c>--environment</c>) plus environment variables and appsettings.json.
    /// <paramref name="configure"/> runs before Raven's registrations (tests add configuration or services there).
    /// </summary>
    /// <exception cref="RavenConfigurationException">The configuration is invalid (one line per problem, naming the setting).</exception>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        builder.AddRavenServer();
        var app = builder.Build();
        app.MapRavenServer();
        return app;
    }
}

/// <summary>Registration and pipeline of the Raven server.</summary>
public static class RavenServerHostingExtensions
{
    /// <summary>
    /// Binds and validates <see cref="RavenServerOptions"/>, then registers the chat backend, authentication, CORS,
    /// rate limiting, OpenAPI, health checks and the realtime layer.
    /// </summary>
    public static WebApplicationBuilder AddRavenServer(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = ConfigurationChecks.Bind<RavenServerOptions>(builder.Configuration);
        var operations = ConfigurationChecks.Bind<RavenOperationsOptions>(builder.Configuration);
        var errors = options.Validate()
            .Concat(operations.Validate())
            .Concat(JwtSecretResolver.EnvironmentErrors(options, builder.Environment))
            .ToList();
        if (errors.Count == 0 && ConfigurationChecks.DataDirectoryError(options.DataDirectory) is { } dataDirectoryError)
        {
            errors.Add(dataDirectoryError);
        }

        if (errors.Count > 0)
        {
            throw new RavenConfigurationException(errors);
        }

        // Only now, with a valid configuration, may a Development secret be generated and written.
        var (secret, generatedSecretPath) = JwtSecretResolver.Resolve(options);
        options.JwtSecret = secret;
        options.DataDirectory = Path.GetFullPath(options.DataDirectory);
        var services = builder.Services;
        services.AddSingleton(Options.Create(options));
        services.AddSingleton(new StartupReport(generatedSecretPath));
        services.TryAddSingleton(TimeProvider.System);

        // PORT applies only when no explicit URLs were given (--urls / ASPNETCORE_URLS win).
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls($"http://*:{options.Port}");
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            kestrel.Limits.MaxConcurrentConnections = options.MaxConcurrentConnections;
            kestrel.Limits.MaxConcurrentUpgradedConnections = options.MaxConcurrentUpgradedConnections;
        });

        services.AddRavenChat(chat =>
        {
            chat.DataDirectory = options.DataDirectory;
            chat.DatabaseUrl = options.DatabaseUrl;
            chat.MaxMessageLength = options.MaxMessageLength;
            chat.PasswordHashIterations = options.PasswordHashIterations;
            chat.MaxGroupMembers = options.MaxGroupMembers;
            chat.DirectMessagesFriendsOnly = options.DirectMessagePolicy == ContactPolicy.Friends;
            chat.GroupInvitesFriendsOnly = options.GroupInvitePolicy == ContactPolicy.Friends;
            chat.SearchUsernamePrefixOnly = options.SearchMode == UserSearchMode.Prefix;
        });
        services.AddHostedService<ChatDatabaseInitializer>();

        var keys = new JwtKeys(secret, options.PreviousJwtSecrets);
        services.AddSingleton(keys);
        services.AddSingleton(sp => new SessionRevocations(sp.GetRequiredService<TimeProvider>(), TimeSpan.FromMinutes(options.JwtMaxTokenMinutes)));
        services.AddSingleton(sp => new AccessTokenValidator(keys, sp.GetRequiredService<IChatService>(), options, sp.GetRequiredService<SessionRevocations>(), sp.GetRequiredService<RavenMetrics>()));
        services.AddSingleton<AccessTokenIssuer>();
        services.AddSingleton<SessionService>();
        services.AddSingleton<RefreshSessionPruner>();
        services.AddHostedService(sp => sp.GetRequiredService<RefreshSessionPruner>());
        services.AddSingleton(sp => new LoginThrottle(options, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(new PasswordHashGate(options));
        services.AddSingleton<CredentialCheck>();
        services.AddSingleton<UploadStore>();
        // Authentication pulls in Data Protection; keep its key ring with the rest of the server's state, not in ~/.aspnet.
        services.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(options.DataDirectory, "keys")));
        services.AddAuthentication(RavenAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, RavenAuthenticationHandler>(RavenAuthenticationHandler.SchemeName, null);
        services.AddAuthorization();

        if (options.CorsOrigins.Count > 0)
        {
            services.AddCors(cors => cors.AddDefaultPolicy(policy => policy
                .WithOrigins([.. options.CorsOrigins])
                .AllowCredentials()
                .WithMethods("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")
                .WithHeaders("content-type", "authorization")
                .SetPreflightMaxAge(TimeSpan.FromMinutes(10))));
        }

        services.AddRavenRateLimiting(options);
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(new UtcDateTimeOffsetConverter()));
        // Malformed JSON must reach the exception handler (400 envelope) in every environment, not only Development.
        services.Configure<RouteHandlerOptions>(route => route.ThrowOnBadRequest = true);
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.AddProblemDetails();
        services.AddRavenHealthChecks();
        services.AddOpenApi(openApi => openApi.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Raven chat API";
            document.Info.Description = "REST API of the Raven chat server (erion-raven compatible). Authenticate with the accessToken cookie set by /api/v1/auth/signin, or a Bearer token from /api/v1/auth/token.";
            return Task.CompletedTask;
        }));

        builder.AddRealtime();
        builder.AddRavenOperations(operations);

        // Defaults the realtime layer replaces when it registers its own (TryAdd: whichever came first wins).
        services.TryAddSingleton<IChatNotifier, NullChatNotifier>();
        services.TryAddSingleton<IPresenceService, NullPresenceService>();
        return builder;
    }

    /// <summary>Adds the middleware pipeline and maps every endpoint (REST, uploads, docs, health, realtime).</summary>
    public static WebApplication MapRavenServer(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<IOptions<RavenServerOptions>>().Value;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Raven.Server");
        app.Services.GetRequiredService<StartupReport>().Log(logger, options, app.Services.GetRequiredService<JwtKeys>());

        if (options.KnownProxyEntries.Count > 0)
        {
            // First, so rate limits, Secure cookies and HSTS see the client's address and scheme.
            app.UseForwardedHeaders();
        }

        app.UseRealtimeWebSockets();
        app.UseExceptionHandler();
        if (!app.Environment.IsDevelopment())
        {
            // Only ever sent on HTTPS responses (direct TLS, or a KNOWN_PROXIES proxy saying X-Forwarded-Proto: https).
            app.UseHsts();
        }

        app.Use((context, next) =>
        {
            // JSON and uploads are never to be sniffed into something executable.
            context.Response.Headers.XContentTypeOptions = "nosniff";
            return next(context);
        });
        app.UseStatusCodePages(WriteStatusCodeEnvelopeAsync);
        app.UseRouting();
        if (options.CorsOrigins.Count > 0)
        {
            app.UseCors();
        }

        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();

        app.MapAuthApi();
        app.MapUsersApi();
        app.MapConversationsApi();
        app.MapMessagesApi();
        app.MapFriendsApi();
        app.MapUploadsApi();
        app.MapRavenHealthEndpoints();
        app.MapRavenMetrics();
        if (options.ApiDocs ?? app.Environment.IsDevelopment())
        {
            app.MapOpenApi();
            app.MapScalarApiReference("/docs", scalar => scalar.WithTitle("Raven chat API").WithOpenApiRoutePattern("/openapi/{documentName}.json"));
        }

        app.MapRealtime();
        return app;
    }

    // Routing misses (404/405) and other empty error responses under /api get the same JSON envelope as handled errors.
    private static Task WriteStatusCodeEnvelopeAsync(Microsoft.AspNetCore.Diagnostics.StatusCodeContext context)
    {
        var http = context.HttpContext;
        if (!http.Request.Path.StartsWithSegments("/api") && !http.Request.Path.StartsWithSegments("/uploads"))
        {
            return Task.CompletedTask;
        }

        var status = http.Response.StatusCode;
        var (error, message) = status switch
        {
            StatusCodes.Status404NotFound => ("NOT_FOUND", "Route not found."),
            StatusCodes.Status405MethodNotAllowed => ("METHOD_NOT_ALLOWED", "Method not allowed."),
            StatusCodes.Status415UnsupportedMediaType => ("UNSUPPORTED_MEDIA_TYPE", "Unsupported content type."),
            _ => ("ERROR", "The request failed."),
        };
        return ApiErrors.WriteAsync(http, status, error, message);
    }
}
