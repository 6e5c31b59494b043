using Unified.Core.Distributed;
using Xunit;

namespace Unified.Core.Tests;

[Collection(MultiRank.Collection)]
public sealed class MpiProcessGroupTests
{
    [Fact]
    public void Collectives_AcrossTwoRanks_ReduceBroadcastGatherAndRejectUnsupportedTypes() =>
        // Sum/max/min of float32, float64, int64, int32; mean; an in-place strided view; broadcast of bfloat16, float16,
        // bool and float32 from rank 1; all-gather; non-blocking all-reduces; barrier; clear errors for bfloat16 sums.
        MultiRank.Pass("collectives");

    [Fact]
    public void Collective_WhenAnotherRankNeverJoins_TimesOutWithAnActionableMessage()
    {
        var run = MultiRank.Run("timeout");
        Assert.Contains("PASS timeout rank 0", run.Output);
        Assert.Contains("did not complete within 1 s", run.Output);
        Assert.NotEqual(0, run.ExitCode); // rank 0 aborts the launch after the timeout, as a training loop does
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(25), run.ToString());
    }

    [Fact]
    public void StopAgreement_WhenOneRankIsAskedToStop_StopsEveryRankAtTheSameBatch() => MultiRank.Pass("stop");

    [Fact]
    public void FromEnvironment_WithoutALauncher_IsTheSingleProcessGroupWithoutMpi()
    {
        Assert.Null(System.Environment.GetEnvironmentVariable(LaunchEnvironment.SizeVariable));
        var group = ProcessGroups.FromEnvironment();
        Assert.Same(SingleProcessGroup.Instance, group);
        Assert.Equal((0, 0, 1), (group.Rank, group.LocalRank, group.WorldSize));
    }
}
