using Unified.Core.Data;

namespace Unified.Core.Distributed;

/// <summary>
/// One rank's view of a data module in a data-parallel run (Lightning's automatic <c>DistributedSampler</c>): the
/// training split padded so every rank runs the same number of steps, the validation split without repeats so no
/// sample counts twice in the synchronised metrics. The tensors stay owned by the original data module.
/// </summary>
public sealed class ShardedDataModule : IDataModule
{
    /// <summary>Shards <paramref name="data"/> for this rank of <paramref name="group"/>.</summary>
    /// <exception cref="InvalidOperationException">A split's loader cannot be sharded.</exception>
    public ShardedDataModule(IDataModule data, IProcessGroup group, ShardMode trainMode = ShardMode.Pad)
        : this(data, (group ?? throw new ArgumentNullException(nameof(group))).Rank, group.WorldSize, trainMode)
    {
    }

    /// <summary>Shards <paramref name="data"/> for rank <paramref name="rank"/> of <paramref name="worldSize"/>.</summary>
    /// <exception cref="InvalidOperationException">A split's loader cannot be sharded.</exception>
    public ShardedDataModule(IDataModule data, int rank, int worldSize, ShardMode trainMode = ShardMode.Pad)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (trainMode == ShardMode.Uneven)
            throw new ArgumentException("Training shards must be even (Pad or Drop): ranks with different step counts would wait for each other forever.", nameof(trainMode));
        Train = Shard(data.Train, rank, worldSize, trainMode, "training");
        Validation = data.Validation is { } validation ? Shard(validation, rank, worldSize, ShardMode.Uneven, "validation") : null;
    }

    /// <inheritdoc />
    public IBatchLoader Train { get; }

    /// <inheritdoc />
    public IBatchLoader? Validation { get; }

    static IBatchLoader Shard(IBatchLoader loader, int rank, int worldSize, ShardMode mode, string split) => worldSize == 1
        ? loader
        : loader is IShardableBatchLoader shardable
            ? shardable.Shard(rank, worldSize, mode)
            : throw new InvalidOperationException(
                $"The {split} loader ({loader.GetType().Name}) cannot be sharded, so every rank would train on the same samples. "
                + $"Use a TensorDataLoader, or implement {nameof(IShardableBatchLoader)} to give each rank its share.");
}
