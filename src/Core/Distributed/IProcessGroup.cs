using System.Diagnostics.CodeAnalysis;
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

    /// <summary>How long a collective waits for the other ranks before it throws a <see cref="TimeoutException"/>.</summary>
    TimeSpan Timeout => System.Threading.Timeout.InfiniteTimeSpan;

    /// <summary>
    /// Starts <see cref="AllReduce"/> without waiting, so that communication overlaps other work; call
    /// <see cref="ICollectiveWork.Wait"/> before reading or changing <paramref name="tensor"/>.
    /// </summary>
    ICollectiveWork StartAllReduce(Tensor tensor, ReduceOp op = ReduceOp.Sum)
    {
        AllReduce(tensor, op);
        return CompletedWork.Instance;
    }

    /// <summary>
    /// Ends every process of the group now with <paramref name="exitCode"/> (MPI's <c>MPI_Abort</c>): what a rank does
    /// after a failure that the others cannot see, so that none of them waits for it until the timeout.
    /// </summary>
    [DoesNotReturn]
    void Abort(int exitCode) => Environment.Exit(exitCode);
}
