using Unified.Core.Data;
using Unified.Core.Distributed;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

public sealed class DistributedSamplerTests
{
    static long[] Indices(DistributedSampler sampler, int epoch = 0)
    {
        using var indices = sampler.Indices(epoch);
        return indices.data<long>().ToArray();
    }

    [Fact]
    public void Shards_OfTheShuffledOrder_CoverEverySampleOnceAndInterleaveLikePyTorch()
    {
        var shards = Enumerable.Range(0, 3).Select(r => Indices(new DistributedSampler(12, r, 3, shuffle: true, seed: 5))).ToArray();
        Assert.All(shards, s => Assert.Equal(4, s.Length));
        Assert.Equal(Enumerable.Range(0, 12).Select(i => (long)i), shards.SelectMany(s => s).Order());
        // Rank r takes positions r, r + 3, ... of one shared order.
        var order = Enumerable.Range(0, 12).Select(i => shards[i % 3][i / 3]).ToArray();
        using var loader = new TensorDataLoader(arange(12, dtype: ScalarType.Float32).unsqueeze(1), arange(12), 12, shuffle: true, seed: 5);
        using var batch = loader.Epoch(0).Single();
        Assert.Equal(batch.Target.data<long>().ToArray(), order);
    }

    [Fact]
    public void Pad_RepeatsTheStartOfTheOrderSoEveryRankGetsTheSameCount()
    {
        var shards = Enumerable.Range(0, 4).Select(r => Indices(new DistributedSampler(10, r, 4, shuffle: false, seed: 0, ShardMode.Pad))).ToArray();
        Assert.All(shards, s => Assert.Equal(3, s.Length));
        Assert.Equal(new long[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1 }, Enumerable.Range(0, 12).Select(i => shards[i % 4][i / 4]));
    }

    [Fact]
    public void Drop_LeavesOutTheTail_Uneven_KeepsEverySampleOnce()
    {
        Assert.Equal(new long[] { 1, 5 }, Indices(new DistributedSampler(10, 1, 4, shuffle: false, seed: 0, ShardMode.Drop)));
        var uneven = Enumerable.Range(0, 4).Select(r => Indices(new DistributedSampler(10, r, 4, shuffle: false, seed: 0, ShardMode.Uneven))).ToArray();
        Assert.Equal(new[] { 3, 3, 2, 2 }, uneven.Select(s => s.Length));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), uneven.SelectMany(s => s).Order());
    }

    [Fact]
    public void Indices_ChangeWithTheEpochAndRepeatForTheSameEpoch()
    {
        var sampler = new DistributedSampler(100, 0, 2, shuffle: true, seed: 9);
        Assert.Equal(Indices(sampler, 3), Indices(sampler, 3));
        Assert.NotEqual(Indices(sampler, 3), Indices(sampler, 4));
    }

    [Fact]
    public void TooFewSamplesForTheRanks_ThrowsSayingWhy()
    {
        var error = Assert.Throws<ArgumentException>(() => new DistributedSampler(3, 0, 4, shuffle: false, seed: 0, ShardMode.Drop));
        Assert.Contains("4 ranks", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DistributedSampler(10, 2, 2, shuffle: false, seed: 0));
    }

    [Fact]
    public void ShardedLoader_BatchesOfEveryRankTogether_AreTheUnshardedLoadersBatches()
    {
        using var whole = new TensorDataLoader(arange(40, dtype: ScalarType.Float32).unsqueeze(1), arange(40), 8, shuffle: true, seed: 3);
        using var perRank = new TensorDataLoader(arange(40, dtype: ScalarType.Float32).unsqueeze(1), arange(40), 4, shuffle: true, seed: 3);
        var shards = new[] { perRank.Shard(0, 2, ShardMode.Pad), perRank.Shard(1, 2, ShardMode.Pad) };
        Assert.All(shards, s => Assert.Equal((5, 20), (s.Count, s.SampleCount)));
        foreach (var (big, (a, b)) in whole.Epoch(1).Zip(shards[0].Epoch(1).Zip(shards[1].Epoch(1))))
        {
            using var _ = big;
            using var __ = a;
            using var ___ = b;
            Assert.Equal(big.Target.data<long>().Order(), a.Target.data<long>().Concat(b.Target.data<long>()).Order());
        }
        Assert.Throws<InvalidOperationException>(() => ((TensorDataLoader)shards[0]).Shard(0, 2, ShardMode.Pad));
    }

    [Fact]
    public void ShardedDataModule_LoaderThatCannotBeSharded_ThrowsNamingIt()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new ShardedDataModule(new Plain(), rank: 0, worldSize: 2));
        Assert.Contains(nameof(Plain), error.Message);
        Assert.Contains(nameof(IShardableBatchLoader), error.Message);
    }

    sealed class Plain : IDataModule, IBatchLoader
    {
        public IBatchLoader Train => this;
        public IBatchLoader? Validation => null;
        public int Count => 1;
        public int SampleCount => 1;
        public IEnumerable<Batch> Epoch(int epoch, int startBatch = 0) => [];
    }
}
