using static TorchSharp.torch;

namespace Unified.Core.Distributed;

/// <summary>
/// The processes of one training run and the collectives between them (PyTorch's <c>torch.distributed</c> process
/// group). Every rank must call the same collectives in the same order; each collective fails with a
/// <see cref="TimeoutException"/> rather than hang when another rank does not arrive in time.
/// </summary>
public interface IProcessGroup : IDisposable
{
    /// <summary>This process's rank, 0 ≤ rank &lt; <see cref="WorldSize"/>.</summary>
    int Rank { get; }

    /// <summary>This process's rank among the processes on its machine.</summary>
    int LocalRank { get; }

    /// <summary>The number of processes.</summary>
    int WorldSize { get; }

    /// <summary>Combines <paramref name="tensor"/> across ranks in place; every rank ends with the same values.</summary>
    void AllReduce(Tensor tensor, ReduceOp op = ReduceOp.Sum);

    /// <summary>Overwrites <paramref name="tensor"/> in place with rank <paramref name="root"/>'s values.</summary>
    void Broadcast(Tensor tensor, int root = 0);

    /// <summary>Every rank's <paramref name="tensor"/> (same shape on all ranks), stacked along a new first dimension in rank order.</summary>
    Tensor AllGather(Tensor tensor);

    /// <summary>Returns once every rank has called it.</summary>
    void Barrier();
}
