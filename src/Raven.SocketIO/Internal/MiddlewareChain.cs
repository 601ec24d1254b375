namespace Raven.SocketIO.Internal;

/// <summary>Runs Node-style middleware (<c>(context, next) =&gt; …</c>) in order, for connections and for events.</summary>
internal static class MiddlewareChain
{
    /// <summary>True when every middleware called <c>next</c>; false when one returned without calling it.</summary>
    public static Task<bool> RunAsync<T>(Func<T, Func<Task>, Task>[] chain, T context) => RunAsync(chain, 0, context);

    private static async Task<bool> RunAsync<T>(Func<T, Func<Task>, Task>[] chain, int index, T context)
    {
        if (index == chain.Length)
        {
            return true;
        }

        var passed = false;
        await chain[index](context, async () => passed = await RunAsync(chain, index + 1, context));
        return passed;
    }
}
