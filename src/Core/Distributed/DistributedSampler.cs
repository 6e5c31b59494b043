using Unified.Core.Data;
using static TorchSharp.torch;

namespace Unified.Core.Distributed;

/// <summary>
/// Which samples a rank sees in an epoch, as PyTorch's <c>DistributedSampler</c>: the split's order for the epoch
/// (shuffled from (seed, epoch), the same order an unsharded <see cref="TensorDataLoader"/> uses), padded or cut to a
/// multiple of the world size per <see cref="ShardMode"/>, then every <c>worldSize</c>-th index starting at the rank.
/// </summary>
public sealed class DistributedSampler
{
    readonly int sampleCount, rank, worldSize;
    readonly bool shuffle;
    readonly long seed;
    readonly ShardMode mode;

    /// <summary>Creates the sampler of <paramref name="rank"/> over <paramref name="sampleCount"/> samples.</summary>
    /// <exception cref="ArgumentException">A rank would get no samples, or the rank is outside the world.</exception>
    public DistributedSampler(int sampleCount, int rank, int worldSize, bool shuffle, long seed, ShardMode mode = ShardMode.Pad)
    {
        if (worldSize < 1) throw new ArgumentOutOfRangeException(nameof(worldSize), worldSize, "World size must be at least 1.");
        if (rank < 0 || rank >= worldSize) throw new ArgumentOutOfRangeException(nameof(rank), rank, $"Rank must be in 0..{worldSize - 1}.");
        if (sampleCount < 1) throw new ArgumentOutOfRangeException(nameof(sampleCount), sampleCount, "There must be at least one sample.");
        (this.sampleCount, this.rank, this.worldSize, this.shuffle, this.seed, this.mode) = (sampleCount, rank, worldSize, shuffle, seed, mode);
        Count = mode switch
        {
            ShardMode.Pad => (sampleCount + worldSize - 1) / worldSize,
            ShardMode.Drop => sampleCount / worldSize,
            ShardMode.Uneven => sampleCount / worldSize + (rank < sampleCount % worldSize ? 1 : 0),
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown shard mode."),
        };
        if (Count == 0)
            throw new ArgumentException($"{sampleCount} samples cannot give each of {worldSize} ranks at least one ({mode}); use fewer ranks or more data.", nameof(sampleCount));
    }

    /// <summary>Samples this rank sees per epoch.</summary>
    public int Count { get; }

    /// <summary>Samples every rank together sees per epoch (with padding or without the dropped tail).</summary>
    public int TotalCount => mode switch
    {
        ShardMode.Pad => Count * worldSize,
        ShardMode.Drop => Count * worldSize,
        _ => sampleCount,
    };

    /// <summary>This rank's sample indices for <paramref name="epoch"/> (int64, owned by the caller).</summary>
    public Tensor Indices(int epoch)
    {
        using var scope = NewDisposeScope();
        var order = shuffle ? Shuffling.Permutation(sampleCount, seed, epoch) : arange(sampleCount, dtype: ScalarType.Int64);
        int total = TotalCount;
        if (total > sampleCount)
        {
            // Pad by repeating the order from its start (cycling when there are fewer samples than ranks).
            var repeats = (total + sampleCount - 1) / sampleCount;
            order = order.repeat(repeats).narrow(0, 0, total);
        }
        else if (total < sampleCount)
        {
            order = order.narrow(0, 0, total);
        }
        return order.narrow(0, rank, total - rank).slice(0, 0, total - rank, worldSize).contiguous().MoveToOuterDisposeScope();
    }
}
