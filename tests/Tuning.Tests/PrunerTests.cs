using Unified.Tuning.Pruners;
using Unified.Tuning.Samplers;
using Xunit;

namespace Unified.Tuning.Tests;

/// <summary>Semantics from optuna/pruners/_percentile.py, _successive_halving.py and _hyperband.py.</summary>
public sealed class PrunerTests
{
    // A finished trial with the given intermediate values, recorded through the study as Optimize would.
    static void Finished(Study study, params double[] curve)
    {
        var trial = study.Ask();
        for (int step = 0; step < curve.Length; step++) trial.Report(curve[step], step);
        study.Tell(trial, TrialState.Complete, curve[^1]);
    }

    static bool PrunedAt(Study study, params double[] curve)
    {
        var trial = study.Ask();
        for (int step = 0; step < curve.Length; step++) trial.Report(curve[step], step);
        bool prune = trial.ShouldPrune();
        study.Tell(trial, TrialState.Fail);
        return prune;
    }

    [Fact]
    public void Median_PrunesBelowTheMedianAtTheStep_AfterFiveStartupTrials()
    {
        var study = Study.Create(direction: StudyDirection.Maximize, pruner: new MedianPruner());
        for (int i = 0; i < 4; i++) Finished(study, 0.1 * i, 0.2 * i);
        Assert.False(PrunedAt(study, 0.0), "4 complete trials < 5 start-up trials");
        Finished(study, 0.4, 0.8); // step 0 values 0, .1, .2, .3, .4: median .2
        Assert.True(PrunedAt(study, 0.15));
        Assert.False(PrunedAt(study, 0.25));
        // The best value over the steps counts (0.9 at step 0), not the last one (0.3 < the step-1 median 0.4).
        Assert.False(PrunedAt(study, 0.9, 0.3));
        Assert.True(PrunedAt(study, 0.3, 0.35));
        Assert.Equal(0.2, PercentilePruner.NanPercentile([0.4, 0.0, 0.1, double.NaN, 0.3, 0.2], 50), 12);
        Assert.Equal(0.325, PercentilePruner.NanPercentile([0.0, 0.1, 0.2, 0.3, 0.4], 81.25), 12);
    }

    [Fact]
    public void Median_RespectsWarmupAndInterval()
    {
        var study = Study.Create(pruner: new MedianPruner(startupTrials: 1, warmupSteps: 2, intervalSteps: 2));
        Finished(study, 1, 1, 1, 1, 1);
        Assert.False(PrunedAt(study, 5, 5), "step 1 is in the warm-up");
        Assert.True(PrunedAt(study, 5, 5, 5));
        Assert.False(PrunedAt(study, 5, 5, 5, 5), "step 3 is not a check step (interval 2 from step 2)");
    }

    [Fact]
    public void SuccessiveHalving_PromotesTheTopOneInEta()
    {
        var study = Study.Create(pruner: new SuccessiveHalvingPruner(minResource: 1, reductionFactor: 2), sampler: new RandomSampler(0));
        // Rung 0 at step 1: first trial alone is promotable; later ones must be in the best half of the values so far.
        Assert.False(PrunedAt(study, 0, 5.0));
        Assert.True(PrunedAt(study, 0, 6.0), "competing {5, 6}: index 0, so only ≤ 5 goes on");
        Assert.False(PrunedAt(study, 0, 4.0));
        Assert.Contains("completed_rung_0", study.Trials[2].SystemAttrs.Keys);
        Assert.Equal(4.0, study.Trials[2].SystemAttrs["completed_rung_0"].GetDouble());
    }

    [Fact]
    public void Hyperband_BuildsOptunasBrackets()
    {
        var pruner = new HyperbandPruner(minResource: 1, maxResource: 27, reductionFactor: 3);
        var study = Study.Create("hb", pruner: pruner);
        Finished(study, 1, 1);
        Assert.False(PrunedAt(study, 1));
        // floor(log3(27)) + 1 = 4 brackets with budgets ceil(4·3^s/(s+1)) = 27, 12, 6, 4 for s = 3, 2, 1, 0.
        Assert.Equal(4, pruner.BracketCount);
        // Brackets of trials 0..19 as Python computes them: binascii.crc32(f"hb_{n}".encode()) % 49 over those budgets.
        Assert.Equal([0, 1, 1, 0, 1, 0, 0, 1, 0, 1, 3, 0, 3, 2, 0, 0, 1, 1, 0, 3], Enumerable.Range(0, 20).Select(n => pruner.BracketOf("hb", n)));
    }
}
