// The conformance app: the behaviour an independent Socket.IO checker verifies (see docs/conformance-app.md).
// dotnet run --project samples/Conformance -- --urls http://127.0.0.1:3000
var app = ConformanceApp.Build(args);
app.Run();

/// <summary>Builds the conformance app; tests host it on a free port through this entry point.</summary>
public static partial class ConformanceApp
{
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        // The reference allows every origin (conformance-app.md, section 2): ASP.NET Core CORS on both endpoints.
        builder.Services.AddCors(cors => cors.AddPolicy(AnyOrigin, policy => policy.AllowAnyOrigin().AllowAnyHeader().WithMethods("GET", "POST")));
        ConfigureEngineIO(builder);
        ConfigureSocketIO(builder);
        var app = builder.Build();
        app.UseCors();
        MapEngineIO(app);
        MapSocketIO(app);
        return app;
    }

    private const string AnyOrigin = "any-origin";

    static partial void ConfigureEngineIO(WebApplicationBuilder builder);
    static partial void MapEngineIO(WebApplication app);
    static partial void ConfigureSocketIO(WebApplicationBuilder builder);
    static partial void MapSocketIO(WebApplication app);
}
