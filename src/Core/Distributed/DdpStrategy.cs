using System.Diagnostics.CodeAnalysis;
using Unified.Core.Data;
using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Core.Distributed;

/// <summary>
/// What a training loop does differently under data parallelism, in one place for both front-ends (Lightning's
/// <c>DDPStrategy</c>): shard the data, wrap the network, reduce logged metrics over ranks, agree on stopping, keep
/// side effects (logging, progress, checkpoint files) on rank 0, and turn a failure on one rank into the end of all.
/// </summary>
public sealed class DdpStrategy
{
    /// <summary>Creates the strategy over <paramref name="group"/>.</summary>
    public DdpStrategy(IProcessGroup group, DdpOptions? options = null)
    {
        Group = group ?? throw new ArgumentNullException(nameof(group));
        Options = options ?? new DdpOptions();
        Options.Validate();
    }

    /// <summary>The ranks of the run.</summary>
    public IProcessGroup Group { get; }

    /// <summary>Bucketing and overlap options.</summary>
    public DdpOptions Options { get; }

    /// <summary>Whether this is rank 0, the rank that logs, prints and writes files (Lightning's <c>is_global_zero</c>).</summary>
    public bool IsGlobalZero => Group.Rank == 0;

    /// <summary>This rank's share of <paramref name="data"/>; checks that every rank will run the same number of training batches.</summary>
    public IDataModule Shard(IDataModule data)
    {
        var sharded = new ShardedDataModule(data, Group);
        EnsureSameOnAllRanks(sharded.Train.Count, "training batches per epoch");
        return sharded;
    }

    /// <summary>
    /// Wraps <paramref name="network"/> (on its device): synchronised batch norm when <see cref="DdpOptions.SyncBatchNorm"/> is set,
    /// rank 0's weights everywhere, bucketed gradient averaging. Collective.
    /// </summary>
    public DistributedDataParallel Wrap(nn.Module network) => new(network, Group, Options);

    /// <summary>The logged means over every rank's samples (collective).</summary>
    public IReadOnlyDictionary<string, double> Reduce(LoggedMetrics logged) => logged.Compute(Group);

    /// <summary>Throws unless every rank passes the same <paramref name="value"/> (collective); <paramref name="what"/> names it in the error.</summary>
    public void EnsureSameOnAllRanks(long value, string what)
    {
        if (Group.WorldSize == 1) return;
        using var mine = tensor(new[] { value });
        using var all = Group.AllGather(mine);
        var values = all.data<long>().ToArray();
        int other = Array.FindIndex(values, v => v != value);
        if (other >= 0)
            throw new InvalidOperationException(
                $"Rank {Group.Rank} has {value} {what} but rank {other} has {values[other]}: ranks must run the same number of steps, or they wait for each other forever. "
                + "Shard the data with ShardMode.Pad or ShardMode.Drop (DistributedSampler).");
    }

    /// <summary>
    /// Reports <paramref name="failure"/> as this rank's (to <paramref name="error"/>) and ends every rank of the run with
    /// exit code 1, so that no rank waits for this one until its collective timeout.
    /// </summary>
    [DoesNotReturn]
    public void Abort(Exception failure, TextWriter error)
    {
        error.WriteLine($"error: rank {Group.Rank} of {Group.WorldSize} failed, stopping every rank: {failure.GetType().Name}: {failure.Message}");
        if (Environment.GetEnvironmentVariable("UNIFIED_TRACE") == "1") error.WriteLine(failure);
        error.Flush();
        Group.Abort(1);
    }
}
