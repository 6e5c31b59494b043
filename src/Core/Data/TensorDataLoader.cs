using Unified.Core.Distributed;
using static TorchSharp.torch;

namespace Unified.Core.Data;

/// <summary>Batches from in-memory tensors, shuffled per epoch by a generator seeded from (seed, epoch).</summary>
public sealed class TensorDataLoader : IShardableBatchLoader, IDisposable
{
    readonly Tensor inputs, targets;
    readonly int batchSize;
    readonly bool shuffle, dropLast, ownsData;
    readonly long seed;
    readonly DistributedSampler? sampler;

    /// <summary>Creates a loader over <paramref name="inputs"/> and <paramref name="targets"/> (same first dimension); takes ownership.</summary>
    public TensorDataLoader(Tensor inputs, Tensor targets, int batchSize, bool shuffle, long seed, bool dropLast = false)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "Batch size must be at least 1.");
        if (inputs.shape[0] != targets.shape[0])
            throw new ArgumentException($"Inputs have {inputs.shape[0]} samples but targets have {targets.shape[0]}; they must match.", nameof(targets));
        if (inputs.shape[0] == 0) throw new ArgumentException("The dataset is empty: there are no samples to load.", nameof(inputs));
        (this.inputs, this.targets, this.batchSize, this.shuffle, this.seed, this.dropLast) = (inputs, targets, batchSize, shuffle, seed, dropLast);
        ownsData = true;
        SampleCount = (int)inputs.shape[0];
        Count = CountBatches();
    }

    // A rank's share of another loader's tensors (which stay owned by that loader).
    TensorDataLoader(TensorDataLoader whole, DistributedSampler sampler)
    {
        (inputs, targets, batchSize, shuffle, seed, dropLast) = (whole.inputs, whole.targets, whole.batchSize, whole.shuffle, whole.seed, whole.dropLast);
        this.sampler = sampler;
        SampleCount = sampler.Count;
        Count = CountBatches();
    }

    /// <inheritdoc />
    public int Count { get; }

    /// <inheritdoc />
    public int SampleCount { get; }

    /// <inheritdoc />
    public IBatchLoader Shard(int rank, int worldSize, ShardMode mode) =>
        sampler is not null
            ? throw new InvalidOperationException("This loader is already a rank's shard; shard the whole loader instead.")
            : new TensorDataLoader(this, new DistributedSampler(SampleCount, rank, worldSize, shuffle, seed, mode));

    /// <inheritdoc />
    public IEnumerable<Batch> Epoch(int epoch, int startBatch = 0)
    {
        if (startBatch < 0 || startBatch > Count)
            throw new ArgumentOutOfRangeException(nameof(startBatch), startBatch, $"Start batch must be in 0..{Count}.");
        return Enumerate(epoch, startBatch);
    }

    int CountBatches()
    {
        // In 64 bits: SampleCount + batchSize overflowed int for a batch size near int.MaxValue.
        long count = dropLast ? SampleCount / batchSize : ((long)SampleCount + batchSize - 1) / batchSize;
        if (count > 0) return (int)count;
        throw dropLast
            ? new ArgumentException($"Batch size {batchSize} with drop-last leaves no batch of the {SampleCount} samples; use a smaller batch size.", nameof(batchSize))
            : new ArgumentException("The data set holds no samples: there is nothing to batch.", nameof(batchSize));
    }

    IEnumerable<Batch> Enumerate(int epoch, int startBatch)
    {
        // The enumeration owns the order: it must outlive a dispose scope that is open at the first MoveNext.
        using var order = (sampler?.Indices(epoch) ?? (shuffle ? Shuffling.Permutation(SampleCount, seed, epoch) : null))?.DetachFromDisposeScope();
        for (int b = startBatch; b < Count; b++)
        {
            long start = (long)b * batchSize, length = Math.Min(batchSize, SampleCount - start);
            if (order is null)
            {
                yield return new Batch(inputs.narrow(0, start, length), targets.narrow(0, start, length));
                continue;
            }
            using var index = order.narrow(0, start, length);
            yield return new Batch(inputs.index_select(0, index), targets.index_select(0, index));
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!ownsData) return;
        inputs.Dispose();
        targets.Dispose();
    }
}
