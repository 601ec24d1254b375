namespace Raven.SocketIO;

/// <summary>
/// Thrown by namespace middleware to refuse a connection: the client receives CONNECT_ERROR
/// <c>{"message":…,"data":…}</c> (its <c>connect_error</c> event, with <c>err.data</c>).
/// </summary>
public sealed class ConnectErrorException : Exception
{
    public ConnectErrorException(string message, object? data = null)
        : base(message)
    {
        Data = data;
    }

    /// <summary>Extra detail serialized as <c>data</c>; omitted when null.</summary>
    public new object? Data { get; }
}

/// <summary>An acknowledgement did not arrive in time. For broadcasts, <see cref="Responses"/> holds those that did.</summary>
public sealed class AckTimeoutException : TimeoutException
{
    public AckTimeoutException(IReadOnlyList<SocketIOArguments> responses)
        : this(responses, "operation has timed out")
    {
    }

    public AckTimeoutException(IReadOnlyList<SocketIOArguments> responses, string message)
        : base(message)
    {
        Responses = responses;
    }

    /// <summary>The acknowledgements received before the timeout.</summary>
    public IReadOnlyList<SocketIOArguments> Responses { get; }
}
