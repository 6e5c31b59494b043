using static TorchSharp.torch;

namespace Unified.Core.Distributed;

/// <summary>
/// Turns a stop request seen by one process (SIGTERM, Ctrl+C, a cancelled token) into one decision every rank takes at
/// the same step, so that all ranks stop, save and exit together instead of leaving one waiting in a collective. With
/// one process it reads the token and costs nothing; with several it is one tiny all-reduce (max) per check.
/// </summary>
public sealed class StopAgreement(IProcessGroup group)
{
    /// <summary>An agreement for a single-process run.</summary>
    public static StopAgreement Single { get; } = new(SingleProcessGroup.Instance);

    /// <summary>The group the ranks agree in.</summary>
    public IProcessGroup Group { get; } = group;

    /// <summary>Whether any rank's <paramref name="token"/> is cancelled; every rank gets the same answer.</summary>
    public bool AnyRankRequested(CancellationToken token)
    {
        bool local = token.IsCancellationRequested;
        if (Group.WorldSize == 1) return local;
        using var flag = tensor(local ? 1f : 0f);
        Group.AllReduce(flag, ReduceOp.Max);
        return flag.item<float>() > 0;
    }

    /// <summary>Throws <see cref="OperationCanceledException"/> on every rank when any rank asked to stop.</summary>
    public void ThrowIfRequested(CancellationToken token)
    {
        if (AnyRankRequested(token)) throw new OperationCanceledException("A stop was requested (signal or cancellation); stopping at a step boundary.", token);
    }
}
