using Unified.Core.Distributed;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

/// <summary>
/// A real process group whose ranks are threads of this process: each collective meets at a barrier and combines the
/// ranks' tensors through shared slots. Lets tests run metric sync over several ranks without MPI.
/// </summary>
internal sealed class ThreadProcessGroup : IProcessGroup
{
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    readonly Barrier barrier;
    readonly Tensor?[] slots;

    ThreadProcessGroup(int rank, Barrier barrier, Tensor?[] slots)
    {
        Rank = rank;
        this.barrier = barrier;
        this.slots = slots;
    }

    /// <summary>One group object per rank, sharing a barrier.</summary>
    public static ThreadProcessGroup[] Create(int worldSize)
    {
        var barrier = new Barrier(worldSize);
        var slots = new Tensor?[worldSize];
        return Enumerable.Range(0, worldSize).Select(r => new ThreadProcessGroup(r, barrier, slots)).ToArray();
    }

    /// <summary>Runs <paramref name="body"/> on one thread per rank and rethrows the first failure.</summary>
    public static void Run(int worldSize, Action<ThreadProcessGroup> body)
    {
        var groups = Create(worldSize);
        var errors = new Exception?[worldSize];
        var threads = groups.Select(g => new Thread(() =>
        {
            try { body(g); }
            catch (Exception e) { errors[g.Rank] = e; g.barrier.RemoveParticipant(); }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        if (errors.FirstOrDefault(e => e is not null) is Exception error)
            throw new AggregateException($"Rank {Array.IndexOf(errors, error)} failed.", error);
    }

    public int Rank { get; }

    public int LocalRank => Rank;

    public int WorldSize => slots.Length;

    public void AllReduce(Tensor tensor, ReduceOp op = ReduceOp.Sum) => Exchange(tensor, () =>
    {
        using var all = stack(slots!);
        using var reduced = op switch
        {
            ReduceOp.Sum => all.sum(dim: 0),
            ReduceOp.Mean => all.mean([0L]),
            ReduceOp.Max => all.amax([0L]),
            _ => all.amin([0L]),
        };
        tensor.copy_(reduced);
    });

    public void Broadcast(Tensor tensor, int root = 0) => Exchange(tensor, () => tensor.copy_(slots[root]!));

    public Tensor AllGather(Tensor tensor)
    {
        Tensor? gathered = null;
        Exchange(tensor, () => gathered = stack(slots!).DetachFromDisposeScope());
        return gathered!;
    }

    public void Barrier() => Meet();

    public void Dispose() { }

    /// <summary>Publishes this rank's copy, waits for all, combines, and waits again before freeing the copy.</summary>
    void Exchange(Tensor tensor, Action combine)
    {
        slots[Rank] = tensor.detach().clone().DetachFromDisposeScope();
        Meet();
        try { combine(); }
        finally
        {
            Meet();
            slots[Rank]!.Dispose();
            slots[Rank] = null;
        }
    }

    void Meet()
    {
        if (!barrier.SignalAndWait(Timeout))
            throw new TimeoutException($"Rank {Rank} waited {Timeout.TotalSeconds} s for the other ranks.");
    }
}
