using Unified.Core.Distributed;
using Xunit;

namespace Unified.Core.Tests;

[Collection(MultiRank.Collection)]
public sealed class DistributedDataParallelTests
{
    // Each scenario also checks: every rank holds the same weights, 50 optimiser steps and 50 gradient averagings,
    // and (without accumulation) bitwise equality with one process that accumulates the ranks' micro-batches.
    [Theory]
    [InlineData("mlp")]
    [InlineData("cnn")]
    public void TwoRanksWithBatchB_EndWhereOneProcessWithBatch2BEnds(string model)
    {
        var run = MultiRank.Pass("ddp", model);
        Assert.Contains("accumulating the ranks' batches: 0.00E+000", run.Output);
    }

    [Fact]
    public void OverlapWithBackward_SeveralBucketsStartedDuringBackward_GivesTheSameWeights() => MultiRank.Pass("ddp", "cnn", "overlap");

    [Fact]
    public void Accumulation_AveragesOnlyOnSteppingMicroBatches_AndMatchesBatch4B() => MultiRank.Pass("ddp", "mlp", "accumulate");

    [Fact]
    public void StepKernel_OneRankSkippingANonFiniteLoss_StillStepsWithTheOthers_AndAllSkipTogether() => MultiRank.Pass("skip");

    [Fact]
    public void LoggedValues_WithSyncDist_ReduceOverTwoRanks_AsOneProcessWithEveryBatch() => MultiRank.Pass("logsync");

    [Fact]
    public void SyncBatchNorm_OverTwoRanks_NormalisesAsOneProcessWithTheWholeBatch() => MultiRank.Pass("syncbn");

    [Fact]
    public void UnevenData_PadsTrainingShardsAndCountsEveryValidationSampleOnce()
    {
        // 1001 training samples (shards of 501, 8 batches on both ranks), 999 validation samples (500 + 499).
        var run = MultiRank.Pass("uneven");
        Assert.Contains("(DDP) =", run.Output);
    }

    [Fact]
    public void RankFailingMidEpoch_EndsEveryRankNonZeroAndNamesTheFailingRank()
    {
        var run = MultiRank.Run("fail");
        Assert.False(run.TimedOut, run.ToString());
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("rank 1 of 2 failed", run.Error);
        Assert.Contains("simulated failure in the training step", run.Error);
        Assert.DoesNotContain("finished the epoch", run.Output);
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(30), run.ToString());
    }

    [Fact]
    public void SingleProcessGroup_WrapsWithoutBucketsAndChangesNothing()
    {
        TorchSharp.torch.manual_seed(1);
        using var network = new Models.DigitsMlp();
        using var ddp = new DistributedDataParallel(network, SingleProcessGroup.Instance);
        Assert.Equal(0, ddp.BucketCount);
        ddp.BeforeBackward(true);
        ddp.AfterBackward();
        Assert.Equal(0, ddp.Synchronizations);
    }

    [Fact]
    public void Options_NonPositiveBucketCap_ThrowsNamingTheField()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new DdpOptions { BucketCapMb = 0 }.Validate());
        Assert.Equal(nameof(DdpOptions.BucketCapMb), error.ParamName);
    }
}
