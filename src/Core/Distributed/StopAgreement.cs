using static TorchSharp.torch;

namespace Unified.Core.Distributed;

/// <summary>
/// Lets the ranks of a run stop at the same batch when any of them is asked to (SIGTERM, Ctrl+C, a cancelled token):
/// each batch starts a tiny non-blocking all-reduce (max) of this rank's stop flag and reads the previous batch's
/// result, so the agreement costs no wait and every rank sees a stop at the same batch, one batch after the request.
/// A rank that stopped on its own would leave the others waiting in their next collective.
/// </summary>
public sealed class StopAgreement : IDisposable
{
    readonly IProcessGroup group;
    readonly Tensor flag;
    ICollectiveWork? pending;

    /// <summary>Creates the agreement over <paramref name="group"/>.</summary>
    public StopAgreement(IProcessGroup group)
    {
        this.group = group ?? throw new ArgumentNullException(nameof(group));
        flag = zeros(1, ScalarType.Int32).DetachFromDisposeScope();
    }

    /// <summary>
    /// Call once per batch on every rank with whether this rank wants to stop; returns true (on every rank at the same
    /// batch) once any rank asked at an earlier call. With one process it returns <paramref name="stopHere"/>.
    /// </summary>
    public bool Poll(bool stopHere)
    {
        if (group.WorldSize == 1) return stopHere;
        if (pending is not null)
        {
            pending.Wait();
            pending = null;
            if (flag.item<int>() != 0) return true;
        }
        flag.fill_(stopHere ? 1 : 0);
        pending = group.StartAllReduce(flag, ReduceOp.Max);
        return false;
    }

    /// <summary>Waits for the last started agreement (call at the same point on every rank, e.g. at epoch end); returns whether it asked to stop.</summary>
    public bool Complete()
    {
        if (pending is null) return false;
        pending.Wait();
        pending = null;
        return flag.item<int>() != 0;
    }

    /// <inheritdoc />
    public void Dispose() => flag.Dispose();
}
