namespace Raven.Server.Internal;

internal static class OpenApiErrors
{
    /// <summary>Documents the error envelope for the given statuses (the handlers throw; the exception handler writes it).</summary>
    public static TBuilder ProducesErrors<TBuilder>(this TBuilder builder, params int[] statuses)
        where TBuilder : IEndpointConventionBuilder
    {
        foreach (var status in statuses)
        {
            builder.WithMetadata(new ProducesResponseTypeMetadata(status, typeof(ApiErrorBody), ["application/json"]));
        }

        return builder;
    }
}
