using System.Runtime.CompilerServices;
using TorchSharp;
using Unified.Core.Accelerators;
using Unified.Core.Data;
using Unified.Core.Distributed;
using static TorchSharp.torch;

namespace Unified.Ignite.Distributed;

/// <summary>
/// Ignite's <c>ignite.distributed</c> helpers (<c>idist</c>; ignite/distributed/auto.py, utils.py) over Core's process
/// group: the current group is the one a <see cref="Parallel"/> opened, or this process alone. Thin wrappers: the
/// gradient averaging is the supervised trainer's (Core's <see cref="DistributedDataParallel"/> in the step kernel).
/// </summary>
/// <example><code>
/// using var parallel = new Idist.Parallel();          // under mpirun -np 2: the MPI world
/// var model = Idist.AutoModel(new DigitsMlp());
/// var optimizer = Idist.AutoOptim(optim.Adam(model.parameters()));
/// var train = Idist.AutoDataloader(inputs, targets, batchSize: 128, shuffle: true, seed: 42);
/// var trainer = Supervised.CreateSupervisedTrainer(model, optimizer, loss);  // data-parallel over the group
/// trainer.On(Events.EpochCompleted, Idist.OneRankOnly(e =&gt; Console.WriteLine(e.State.Epoch)));
/// </code></example>
public static partial class Idist
{
    static readonly ConditionalWeakTable<nn.Module, AutoModelOptions> AutoModels = new();

    sealed record AutoModelOptions(bool SyncBatchNorm);

    /// <summary>The current process group (<c>idist</c>'s computation model): a <see cref="Parallel"/>'s, or this process alone.</summary>
    public static IProcessGroup Group { get; internal set; } = SingleProcessGroup.Instance;

    /// <summary>This process's rank (<c>idist.get_rank()</c>).</summary>
    public static int GetRank() => Group.Rank;

    /// <summary>This process's rank on its machine (<c>idist.get_local_rank()</c>).</summary>
    public static int GetLocalRank() => Group.LocalRank;

    /// <summary>The number of processes (<c>idist.get_world_size()</c>).</summary>
    public static int GetWorldSize() => Group.WorldSize;

    /// <summary>This process's device (<c>idist.device()</c>): <c>cuda:local_rank</c> where CUDA is present, else the CPU.</summary>
    public static Device Device() => new DdpStrategy(Group).DeviceFor(Accelerator.Resolve("auto").Device);

    /// <summary>Waits for every rank (<c>idist.barrier()</c>).</summary>
    public static void Barrier() => Group.Barrier();

    /// <summary>
    /// Ignite's <c>auto_model</c>: moves <paramref name="model"/> to <see cref="Device"/> and, with several ranks, marks it
    /// for data-parallel training: a supervised trainer made for it averages gradients over <see cref="Group"/> (rank 0's
    /// weights broadcast first, synchronised batch norm when <paramref name="syncBatchNorm"/>), as Ignite's DDP wrapper.
    /// </summary>
    public static T AutoModel<T>(T model, bool syncBatchNorm = false) where T : nn.Module
    {
        ArgumentNullException.ThrowIfNull(model);
        model.to(Device());
        AutoModels.AddOrUpdate(model, new AutoModelOptions(syncBatchNorm));
        return model;
    }

    /// <summary>
    /// Ignite's <c>auto_optim</c>: with the native backend it returns the optimiser as it is (Horovod's and XLA's
    /// wrappers have no counterpart here); the gradients it steps on are averaged by the trainer.
    /// </summary>
    public static T AutoOptim<T>(T optimizer) where T : optim.Optimizer =>
        optimizer ?? throw new ArgumentNullException(nameof(optimizer));

    /// <summary>
    /// Ignite's <c>auto_dataloader</c>: a loader over (<paramref name="inputs"/>, <paramref name="targets"/>); with several
    /// ranks each rank gets its share (PyTorch's <c>DistributedSampler</c>, shuffled by (seed, epoch)) in batches of
    /// <paramref name="batchSize"/> / world size (as Ignite divides it when it is at least the world size).
    /// </summary>
    public static IBatchLoader AutoDataloader(Tensor inputs, Tensor targets, int batchSize, bool shuffle = false, long seed = 0, bool dropLast = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        int world = GetWorldSize();
        if (world == 1) return new TensorDataLoader(inputs, targets, batchSize, shuffle, seed, dropLast);
        int perRank = batchSize >= world ? batchSize / world : batchSize;
        return new TensorDataLoader(inputs, targets, perRank, shuffle, seed, dropLast).Shard(GetRank(), world, ShardMode.Pad);
    }

    /// <summary>
    /// Ignite's <c>one_rank_only</c> decorator: <paramref name="handler"/> runs on rank <paramref name="rank"/> only
    /// (e.g. logging, saving); with <paramref name="withBarrier"/> every rank waits until it is done.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rank"/> is not a rank of the group.</exception>
    public static Action<Engine> OneRankOnly(Action<Engine> handler, int rank = 0, bool withBarrier = false)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (rank < 0 || rank >= GetWorldSize())
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"rank must be a rank of the group, 0 to {GetWorldSize() - 1}.");
        return engine =>
        {
            if (GetRank() == rank) handler(engine);
            if (withBarrier) Barrier();
        };
    }

    /// <summary>The group a trainer of <paramref name="network"/> trains over when <see cref="AutoModel"/> marked it; null otherwise.</summary>
    internal static (IProcessGroup Group, bool SyncBatchNorm)? AutoGroupFor(nn.Module network) =>
        GetWorldSize() > 1 && AutoModels.TryGetValue(network, out var options) ? (Group, options.SyncBatchNorm) : null;
}
