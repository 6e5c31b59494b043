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
public sealed class DdpStrategy : IDisposable
{
    /// <summary>The strategy names front-ends accept: <c>auto</c> (data-parallel when launched as several processes) and <c>ddp</c>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["auto", "ddp"];

    /// <summary>
    /// Resolves a front-end's strategy options against this process's launch (Lightning's strategy connector):
    /// <c>ddp</c>, or <c>auto</c> in a launch of several processes, gives a strategy over
    /// <see cref="ProcessGroups.FromEnvironment"/>; <c>auto</c> in a single process gives null (no data parallelism).
    /// <paramref name="devices"/> × <paramref name="numNodes"/> must equal the launch's process count
    /// (<paramref name="devices"/> null: whatever the launch has).
    /// </summary>
    /// <exception cref="ArgumentException">An option is invalid (named in the error).</exception>
    /// <exception cref="InvalidOperationException">The launch does not match the options; the message says how to launch.</exception>
    public static DdpStrategy? Resolve(string strategy, int? devices, int numNodes, DdpOptions? options = null,
        string strategyName = "Strategy", string devicesName = "Devices", string nodesName = "NumNodes")
    {
        ThrowIfInvalid(strategy, devices, numNodes, strategyName, devicesName, nodesName);
        var launch = LaunchEnvironment.Current();
        int expected = (devices ?? Math.Max(1, launch.WorldSize / numNodes)) * numNodes;
        if (launch.WorldSize != expected)
        {
            string how = launch.IsMpiLaunch
                ? $"This launch has {launch.WorldSize} process(es): start it with 'mpirun -np {expected}'"
                : $"This process was started alone: start it with 'mpirun -np {expected} dotnet YourApp.dll' (add '--hostfile FILE' for several machines)";
            throw new InvalidOperationException($"{devicesName} = {devices?.ToString() ?? "auto"} and {nodesName} = {numNodes} need {expected} processes. {how}, or with 'unified fit --devices {expected}'.");
        }
        bool ddp = strategy.Trim().Equals("ddp", StringComparison.OrdinalIgnoreCase) || launch.WorldSize > 1;
        return ddp ? new DdpStrategy(ProcessGroups.FromEnvironment(), options) : null;
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the field when a strategy option is invalid.</summary>
    public static void ThrowIfInvalid(string? strategy, int? devices, int numNodes,
        string strategyName = "Strategy", string devicesName = "Devices", string nodesName = "NumNodes")
    {
        if (strategy is null || !Names.Contains(strategy.Trim().ToLowerInvariant()))
            throw new ArgumentException($"Unknown strategy '{strategy}'. Valid values: {string.Join(", ", Names)}.", strategyName);
        if (devices is < 1) throw new ArgumentOutOfRangeException(devicesName, devices, $"{devicesName} must be at least 1 (or null for every process of the launch).");
        if (numNodes < 1) throw new ArgumentOutOfRangeException(nodesName, numNodes, $"{nodesName} must be at least 1.");
    }

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

    /// <summary>The wrapped network's synchroniser, once <see cref="Wrap"/> ran (for its communication statistics).</summary>
    public DistributedDataParallel? Synchronizer { get; private set; }

    /// <summary>The device of this rank: CUDA device number <see cref="IProcessGroup.LocalRank"/> on a CUDA accelerator, else <paramref name="device"/>.</summary>
    public Device DeviceFor(Device device) => device.type == TorchSharp.DeviceType.CUDA ? new Device(TorchSharp.DeviceType.CUDA, Group.LocalRank) : device;

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
    public DistributedDataParallel Wrap(nn.Module network)
    {
        Synchronizer?.Dispose();
        return Synchronizer = new DistributedDataParallel(network, Group, Options);
    }

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
        // One write per report, so that lines of several ranks do not interleave; libtorch's C++ trace follows its first line.
        string trace = Environment.GetEnvironmentVariable("UNIFIED_TRACE") == "1" ? failure + Environment.NewLine : "";
        error.Write($"error: rank {Group.Rank} of {Group.WorldSize} failed, stopping every rank: {failure.GetType().Name}: " +
            $"{failure.Message.Split('\n', 2)[0].TrimEnd()}{Environment.NewLine}{trace}");
        error.Flush();
        Group.Abort(1);
    }

    /// <summary>Frees the synchroniser's buffers (the process group stays: it lives as long as the process).</summary>
    public void Dispose()
    {
        Synchronizer?.Dispose();
        Synchronizer = null;
    }
}
