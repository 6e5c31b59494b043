using Xunit;

namespace Unified.Tuning.Tests;

public sealed class TrialTests
{
    static void InOneTrial(Action<Trial> body)
    {
        var study = Study.Create();
        var trial = study.Ask();
        body(trial);
    }

    [Fact]
    public void BadRanges_AreRefused_WithTheReason()
    {
        InOneTrial(trial =>
        {
            Assert.Contains("is empty: low must not exceed high", Assert.Throws<ArgumentException>(() => trial.SuggestFloat("a", 1, 0)).Message);
            Assert.Contains("is empty", Assert.Throws<ArgumentException>(() => trial.SuggestInt("b", 5, 4)).Message);
            Assert.Contains("log range needs low > 0", Assert.Throws<ArgumentException>(() => trial.SuggestFloat("c", 0, 1, log: true)).Message);
            Assert.Contains("log range needs low ≥ 1", Assert.Throws<ArgumentException>(() => trial.SuggestInt("d", 0, 8, log: true)).Message);
            Assert.Contains("not finite", Assert.Throws<ArgumentException>(() => trial.SuggestFloat("e", 0, double.PositiveInfinity)).Message);
            Assert.Contains("both log and step", Assert.Throws<ArgumentException>(() => trial.SuggestFloat("f", 1, 2, step: 0.5, log: true)).Message);
            Assert.Contains("at least one choice", Assert.Throws<ArgumentException>(() => trial.SuggestCategorical("g", Array.Empty<string>())).Message);
            Assert.Contains("cannot be stored", Assert.Throws<ArgumentException>(() => trial.SuggestCategorical("h", new object[] { new List<int>() })).Message);
            Assert.Empty(trial.Params);
        });
    }

    [Fact]
    public void SameParameterTwice_WithTheSameRange_IsTheSameValue_WithAnother_IsRefused()
    {
        InOneTrial(trial =>
        {
            double x = trial.SuggestFloat("x", 0, 1);
            Assert.Equal(x, trial.SuggestFloat("x", 0, 1));
            var e = Assert.Throws<ArgumentException>(() => trial.SuggestFloat("x", 0, 2));
            Assert.StartsWith("Parameter 'x' was already suggested in trial 0 as {\"kind\":\"float\",\"low\":0,\"high\":1", e.Message);
            Assert.Throws<ArgumentException>(() => trial.SuggestInt("x", 0, 1));
        });
    }

    [Fact]
    public void Suggestions_StayInTheirRanges_OnTheirGrids()
    {
        var study = Study.Create(sampler: new Samplers.RandomSampler(seed: 5));
        study.Optimize(trial =>
        {
            double f = trial.SuggestFloat("f", -1, 1), g = trial.SuggestFloat("g", 1e-5, 1e-1, log: true), s = trial.SuggestFloat("s", 0, 1, step: 0.25);
            int i = trial.SuggestInt("i", 0, 10, step: 3), l = trial.SuggestInt("l", 1, 1024, log: true);
            string c = trial.SuggestCategorical("c", ["a", "b"]);
            Assert.InRange(f, -1, 1);
            Assert.InRange(g, 1e-5, 1e-1);
            Assert.Contains(s, new[] { 0, 0.25, 0.5, 0.75, 1 });
            Assert.Contains(i, new[] { 0, 3, 6, 9 });
            Assert.InRange(l, 1, 1024);
            Assert.Contains(c, new[] { "a", "b" });
            return f;
        }, nTrials: 200);
        var logs = study.Trials.Select(t => (double)t.Params["g"]!).ToArray();
        // Log-uniform: about a quarter of the draws below 1e-4 (one decade of four); uniform would give almost none.
        Assert.InRange(logs.Count(v => v < 1e-4), 25, 75);
        Assert.Equal(new[] { 0, 3, 6, 9 }, study.Trials.Select(t => (int)t.Params["i"]!).Distinct().Order());
    }

    [Fact]
    public void Report_IgnoresASecondValueForAStep_AndRefusesNegativeSteps()
    {
        InOneTrial(trial =>
        {
            trial.Report(1, 0);
            trial.Report(2, 0);
            Assert.Equal(1, trial.Snapshot().IntermediateValues[0]);
            Assert.Throws<ArgumentOutOfRangeException>(() => trial.Report(1, -1));
        });
    }
}
