namespace Unified.Core.Data;

/// <summary>A loader that can give each rank of a data-parallel run its own share of the samples.</summary>
public interface IShardableBatchLoader : IBatchLoader
{
    /// <summary>
    /// This rank's share: with shuffling, the shuffled order of the whole split for (seed, epoch), then every
    /// <paramref name="worldSize"/>-th sample from <paramref name="rank"/> (as PyTorch's <c>DistributedSampler</c>), in
    /// batches of the same size. Rank r's batch k and the other ranks' batch k together hold exactly the samples of
    /// the unsharded loader's batch k at <paramref name="worldSize"/> times the batch size.
    /// </summary>
    IBatchLoader Shard(int rank, int worldSize, ShardMode mode);
}
