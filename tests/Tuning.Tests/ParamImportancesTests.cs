using Unified.Tuning.Pruners;
using Unified.Tuning.Samplers;
using Unified.Tuning.Visualization;
using Xunit;

namespace Unified.Tuning.Tests;

public sealed class ParamImportancesTests
{
    [Fact]
    public void Ranks_AverageTies_AsScipysRankdata()
    {
        // scipy.stats.rankdata([3, 1, 4, 1, 5, 9, 2, 6, 5]) = [4, 1.5, 5, 1.5, 6.5, 9, 3, 8, 6.5]
        Assert.Equal([4, 1.5, 5, 1.5, 6.5, 9, 3, 8, 6.5], ParamImportances.Ranks([3, 1, 4, 1, 5, 9, 2, 6, 5]));
    }

    [Fact]
    public void AParameterTheObjectiveDependsOn_OutranksOnesItIgnores()
    {
        // The value is a monotone function of x (on a log scale) plus a choice's offset; y is ignored.
        var study = Study.Create(sampler: new RandomSampler(3), pruner: new NopPruner());
        study.Optimize(trial =>
        {
            double x = trial.SuggestFloat("x", 1e-4, 1, log: true);
            _ = trial.SuggestFloat("y", -1, 1);
            string c = trial.SuggestCategorical("c", ["a", "b", "z"]);
            return Math.Log10(x) + (c == "z" ? 10 : 0);
        }, nTrials: 60);
        var importances = ParamImportances.Evaluate(study);
        Assert.Equal(["c", "x", "y"], importances.Select(p => p.Key));
        Assert.Equal(1.0, importances.Sum(p => p.Value), 1e-12);
        Assert.True(importances[2].Value < 0.05, $"y is ignored by the objective but rated {importances[2].Value}");
    }

    [Fact]
    public void AConstantObjective_RatesEveryParameterZero()
    {
        var study = Study.Create(sampler: new RandomSampler(1));
        study.Optimize(trial => trial.SuggestFloat("x", 0, 1) * 0, nTrials: 5);
        Assert.Equal([KeyValuePair.Create("x", 0.0)], ParamImportances.Evaluate(study));
    }

    [Fact]
    public void FewerThanTwoCompleteTrials_AreRefused_SayingHowManyThereAre()
    {
        var study = Study.Create();
        study.Optimize(trial => trial.SuggestFloat("x", 0, 1), nTrials: 1);
        study.Optimize(_ => throw new InvalidOperationException("boom"), nTrials: 1);
        var e = Assert.Throws<InvalidOperationException>(() => ParamImportances.Evaluate(study));
        Assert.Equal("Parameter importances need at least two complete trials; the study has 1: run more trials.", e.Message);
    }
}
