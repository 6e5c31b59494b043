using Unified.Core.Data;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

[Collection(TorchCollection.Name)]
public sealed class TensorDataLoaderTests
{
    /// <summary>Ten samples whose input row i is [i, i] and target is i, so batches show which samples they hold.</summary>
    static TensorDataLoader Loader(int samples, int batchSize, bool shuffle = true, bool dropLast = false, long seed = 3)
    {
        var targets = arange(samples, ScalarType.Int64);
        var inputs = targets.to_type(ScalarType.Float32).unsqueeze(1).repeat(1, 2);
        return new TensorDataLoader(inputs, targets, batchSize, shuffle, seed, dropLast);
    }

    static long[][] Targets(IEnumerable<Batch> batches) => batches.Select(b =>
    {
        using var _ = b;
        return b.Target.data<long>().ToArray();
    }).ToArray();

    [Fact]
    public void Count_WithoutDropLast_IncludesThePartialBatch()
    {
        using var loader = Loader(10, 3, dropLast: false);

        Assert.Equal(4, loader.Count);
        Assert.Equal(10, loader.SampleCount);
        Assert.Equal(new[] { 3, 3, 3, 1 }, Targets(loader.Epoch(0)).Select(t => t.Length));
    }

    [Fact]
    public void Count_WithDropLast_DropsThePartialBatch()
    {
        using var loader = Loader(10, 3, dropLast: true);

        Assert.Equal(3, loader.Count);
        Assert.Equal(new[] { 3, 3, 3 }, Targets(loader.Epoch(0)).Select(t => t.Length));
    }

    [Fact]
    public void ShuffledEpoch_IsAPermutationOfAllSamples()
    {
        using var loader = Loader(10, 3);

        var all = Targets(loader.Epoch(0)).SelectMany(t => t).ToArray();

        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), all.Order());
        Assert.NotEqual(Enumerable.Range(0, 10).Select(i => (long)i), all);
    }

    [Fact]
    public void UnshuffledEpoch_KeepsTheOriginalOrder()
    {
        using var loader = Loader(10, 4, shuffle: false);

        Assert.Equal(new[] { new long[] { 0, 1, 2, 3 }, [4, 5, 6, 7], [8, 9] }, Targets(loader.Epoch(5)));
    }

    [Fact]
    public void InputsAndTargets_StayAligned_WhenShuffled()
    {
        using var loader = Loader(10, 3);

        foreach (var batch in loader.Epoch(1))
        {
            using var _ = batch;
            Assert.Equal(batch.Target.data<long>().ToArray(), batch.Input.select(1, 0).to_type(ScalarType.Int64).data<long>().ToArray());
        }
    }

    [Fact]
    public void SameSeedAndEpoch_GiveTheSameOrder_DifferentEpochsDiffer()
    {
        using var a = Loader(64, 8, seed: 11);
        using var b = Loader(64, 8, seed: 11);

        Assert.Equal(Targets(a.Epoch(2)), Targets(b.Epoch(2)));
        Assert.NotEqual(Targets(a.Epoch(2)), Targets(a.Epoch(3)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(4)]
    public void StartBatch_GivesTheTailOfTheFullEpoch(int startBatch)
    {
        using var loader = Loader(10, 3);

        var full = Targets(loader.Epoch(4));
        var resumed = Targets(loader.Epoch(4, startBatch));

        Assert.Equal(full[startBatch..], resumed);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(5)]
    public void StartBatchOutOfRange_Throws(int startBatch)
    {
        using var loader = Loader(10, 3);

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => loader.Epoch(0, startBatch));
        Assert.Equal("startBatch", e.ParamName);
    }

    [Fact]
    public void EmptyDataset_IsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new TensorDataLoader(zeros(0, 2), zeros(0, ScalarType.Int64), 4, shuffle: true, seed: 1));
        Assert.Contains("empty", e.Message);
    }

    [Fact]
    public void MismatchedSampleCounts_AreRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new TensorDataLoader(zeros(5, 2), zeros(4, ScalarType.Int64), 2, shuffle: false, seed: 1));
        Assert.Equal("targets", e.ParamName);
    }

    [Fact]
    public void NonPositiveBatchSize_IsRejected()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new TensorDataLoader(zeros(5, 2), zeros(5, ScalarType.Int64), 0, shuffle: false, seed: 1));
        Assert.Equal("batchSize", e.ParamName);
    }

    [Fact]
    public void DropLastWithBatchLargerThanTheDataset_IsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new TensorDataLoader(zeros(5, 2), zeros(5, ScalarType.Int64), 8, shuffle: false, seed: 1, dropLast: true));
        Assert.Equal("batchSize", e.ParamName);
    }
}
