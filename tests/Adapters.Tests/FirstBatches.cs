using Unified.Core.Data;

namespace Unified.Adapters.Tests;

/// <summary>The first <c>count</c> batches of each epoch of a shardable loader (and of each of its shards).</summary>
public sealed class FirstBatches(IShardableBatchLoader inner, int count) : IShardableBatchLoader
{
    /// <inheritdoc />
    public int Count => Math.Min(count, inner.Count);

    /// <inheritdoc />
    public int SampleCount => Math.Min(inner.SampleCount, Count * (inner.SampleCount / Math.Max(1, inner.Count)));

    /// <inheritdoc />
    public IEnumerable<Batch> Epoch(int epoch, int startBatch = 0) => inner.Epoch(epoch, startBatch).Take(Count - startBatch);

    /// <inheritdoc />
    public IBatchLoader Shard(int rank, int worldSize, ShardMode mode) => new Limited(inner.Shard(rank, worldSize, mode), count);

    sealed class Limited(IBatchLoader shard, int count) : IBatchLoader
    {
        public int Count => Math.Min(count, shard.Count);
        public int SampleCount => shard.SampleCount;
        public IEnumerable<Batch> Epoch(int epoch, int startBatch = 0) => shard.Epoch(epoch, startBatch).Take(Count - startBatch);
    }
}

/// <summary>The digits of <c>unified fit</c> (8,000 training, 2,000 validation samples, seed 42), training cut to the first batches.</summary>
public sealed class DigitsForDdp : IDataModule, IDisposable
{
    readonly DigitsDataModule digits;

    /// <summary>Loads the digits in <paramref name="layout"/> with <paramref name="batchSize"/>, training limited to <paramref name="batches"/> batches.</summary>
    public DigitsForDdp(int batchSize, InputLayout layout, int batches)
    {
        digits = new DigitsDataModule(new DigitsDataOptions { BatchSize = batchSize, Layout = layout });
        Train = new FirstBatches((IShardableBatchLoader)digits.Train, batches);
    }

    /// <inheritdoc />
    public IBatchLoader Train { get; }

    /// <inheritdoc />
    public IBatchLoader? Validation => digits.Validation;

    /// <inheritdoc />
    public void Dispose() => digits.Dispose();
}
