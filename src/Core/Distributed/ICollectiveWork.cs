namespace Unified.Core.Distributed;

/// <summary>
/// A collective started without waiting (PyTorch's <c>Work</c> from <c>all_reduce(..., async_op=True)</c>): the
/// tensor it works on must stay alive and untouched until <see cref="Wait"/> returns.
/// </summary>
public interface ICollectiveWork
{
    /// <summary>Advances the collective and reports whether it has finished (it still needs <see cref="Wait"/> to apply its result).</summary>
    bool Poll();

    /// <summary>Waits (up to the group's timeout) until the collective finished on this rank and its result is in the tensor.</summary>
    /// <exception cref="TimeoutException">Another rank did not join within the timeout.</exception>
    void Wait();
}
