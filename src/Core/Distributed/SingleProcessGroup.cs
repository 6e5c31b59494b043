using static TorchSharp.torch;

namespace Unified.Core.Distributed;

/// <summary>The process group of a run with one process: every collective is the identity.</summary>
public sealed class SingleProcessGroup : IProcessGroup
{
    /// <summary>The shared instance.</summary>
    public static SingleProcessGroup Instance { get; } = new();

    SingleProcessGroup() { }

    /// <inheritdoc />
    public int Rank => 0;

    /// <inheritdoc />
    public int LocalRank => 0;

    /// <inheritdoc />
    public int WorldSize => 1;

    /// <inheritdoc />
    public void AllReduce(Tensor tensor, ReduceOp op = ReduceOp.Sum) { }

    /// <inheritdoc />
    public void Broadcast(Tensor tensor, int root = 0)
    {
        if (root != 0) throw new ArgumentOutOfRangeException(nameof(root), root, "A single-process group has only rank 0.");
    }

    /// <inheritdoc />
    public Tensor AllGather(Tensor tensor) => tensor.unsqueeze(0);

    /// <inheritdoc />
    public void Barrier() { }

    /// <inheritdoc />
    public void Dispose() { }
}
