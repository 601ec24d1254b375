using System.Threading.Tasks.Sources;

namespace Raven.EngineIO.Internal;

/// <summary>Why a waiting consumer (a polling GET or the WebSocket writer) was woken.</summary>
internal enum Wake
{
    Data,
    Noop,
    Closed,
    Overlap,
    Aborted,
}

/// <summary>
/// A reusable wake-up for the one consumer of a session's outbox: parking allocates nothing (no
/// TaskCompletionSource per wait). <see cref="Arm"/> and <see cref="TrySignal"/> run under the session's lock;
/// the awaiting side frees the signal when it reads the result, and a signal that was woken but not yet read is
/// never re-armed (<see cref="IsIdle"/>), so a stale awaiter can never observe a later wait's result.
/// </summary>
internal sealed class ConsumerSignal : IValueTaskSource<Wake>
{
    private const int Idle = 0;
    private const int Parked = 1;
    private const int Signalled = 2;

    private ManualResetValueTaskSourceCore<Wake> _core = new() { RunContinuationsAsynchronously = true };
    private int _state;

    public bool IsIdle => Volatile.Read(ref _state) == Idle;

    /// <summary>Starts a wait. The caller holds the session lock and has checked <see cref="IsIdle"/>.</summary>
    public ValueTask<Wake> Arm()
    {
        _core.Reset();
        _state = Parked;
        return new ValueTask<Wake>(this, _core.Version);
    }

    /// <summary>Completes the current wait, if one is armed and not yet completed. Caller holds the session lock.</summary>
    public bool TrySignal(Wake wake)
    {
        if (_state != Parked)
        {
            return false;
        }

        _state = Signalled;
        _core.SetResult(wake);
        return true;
    }

    public Wake GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            Volatile.Write(ref _state, Idle);
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);
}
