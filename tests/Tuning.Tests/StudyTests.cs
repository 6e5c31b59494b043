using Unified.Tuning.Pruners;
using Unified.Tuning.Samplers;
using Unified.Tuning.Storages;
using Xunit;

namespace Unified.Tuning.Tests;

public sealed class StudyTests
{
    static double Quadratic(Trial trial)
    {
        double x = trial.SuggestFloat("x", -10, 10), y = trial.SuggestInt("y", -5, 5);
        return (x - 2) * (x - 2) + (y + 1) * (y + 1);
    }

    [Fact]
    public void Optimize_RecordsEveryTrial_WithConsecutiveNumbers_AndFindsTheBest()
    {
        var study = Study.Create(sampler: new RandomSampler(seed: 1));
        study.Optimize(Quadratic, nTrials: 20);
        Assert.Equal(Enumerable.Range(0, 20), study.Trials.Select(t => t.Number));
        Assert.All(study.Trials, t => Assert.Equal(TrialState.Complete, t.State));
        var best = study.Trials.MinBy(t => t.Value)!;
        Assert.Equal(best.Number, study.BestTrial.Number);
        Assert.Equal(best.Value, study.BestValue);
        Assert.Equal(best.Params["x"], study.BestParams["x"]);
        Assert.IsType<int>(study.BestParams["y"]);
    }

    [Fact]
    public void Optimize_RecordsFailuresAndNaN_AsFailed_AndGoesOn()
    {
        var study = Study.Create(sampler: new RandomSampler(seed: 2));
        study.Optimize(trial =>
        {
            double x = trial.SuggestFloat("x", 0, 1);
            return trial.Number switch { 1 => throw new InvalidOperationException("diverged"), 2 => double.NaN, _ => x };
        }, nTrials: 4);
        var states = study.Trials.Select(t => t.State).ToArray();
        Assert.Equal([TrialState.Complete, TrialState.Fail, TrialState.Fail, TrialState.Complete], states);
        Assert.Equal("InvalidOperationException: diverged", study.Trials[1].SystemAttrs["fail_reason"].GetString());
        Assert.Null(study.Trials[1].Value);
        Assert.IsType<double>(study.Trials[1].Params["x"]);
    }

    [Fact]
    public void Pruned_Trial_KeepsItsLastIntermediateValue_AndIsNotTheBest()
    {
        var study = Study.Create(direction: StudyDirection.Maximize, pruner: new NopPruner());
        study.Optimize(trial =>
        {
            for (int step = 0; step < 3; step++) trial.Report(10.0 * trial.Number + step, step);
            if (trial.Number == 1) throw new TrialPrunedException();
            return trial.Number;
        }, nTrials: 2);
        Assert.Equal(TrialState.Pruned, study.Trials[1].State);
        Assert.Equal(12.0, study.Trials[1].Value);
        Assert.Equal(0, study.BestTrial.Number);
        Assert.Equal([0, 1, 2], study.Trials[0].IntermediateValues.Keys);
    }

    [Fact]
    public void EnqueuedTrials_RunFirst_WithTheirFixedParameters()
    {
        var study = Study.Create(sampler: new RandomSampler(seed: 3));
        study.EnqueueTrial(new Dictionary<string, object?> { ["x"] = 2.0, ["y"] = -1 });
        study.EnqueueTrial(new Dictionary<string, object?> { ["x"] = 7.5 });
        study.Optimize(Quadratic, nTrials: 3);
        Assert.Equal(0.0, study.Trials[0].Value);
        Assert.Equal(-1, study.Trials[0].Params["y"]);
        Assert.Equal(7.5, study.Trials[1].Params["x"]);
        Assert.Equal(0, study.BestTrial.Number);
        Assert.Equal(3, study.Trials.Count);
    }

    [Fact]
    public void ParallelJobs_ShareOneNumbering()
    {
        var study = Study.Create(sampler: new TpeSampler(seed: 4, startupTrials: 3));
        study.Optimize(trial => { Thread.Sleep(1); return Quadratic(trial); }, nTrials: 24, nJobs: 4);
        Assert.Equal(Enumerable.Range(0, 24), study.Trials.Select(t => t.Number).Order());
        Assert.All(study.Trials, t => Assert.Equal(TrialState.Complete, t.State));
    }

    [Fact]
    public void Cancellation_FailsTheRunningTrial_AndThrows()
    {
        using var cancel = new CancellationTokenSource();
        var study = Study.Create();
        Assert.Throws<OperationCanceledException>(() => study.Optimize(trial =>
        {
            trial.SuggestFloat("x", 0, 1);
            if (trial.Number == 2) { cancel.Cancel(); cancel.Token.ThrowIfCancellationRequested(); }
            return 1;
        }, cancellationToken: cancel.Token));
        Assert.Equal([TrialState.Complete, TrialState.Complete, TrialState.Fail], study.Trials.Select(t => t.State));
    }

    [Fact]
    public void Timeout_StopsStartingTrials()
    {
        var study = Study.Create();
        study.Optimize(trial => { Thread.Sleep(20); return trial.SuggestFloat("x", 0, 1); }, timeout: TimeSpan.FromMilliseconds(1));
        Assert.InRange(study.Trials.Count, 1, 5);
    }

    [Fact]
    public void UserAttributes_AreRecorded()
    {
        var study = Study.Create();
        study.Optimize(trial => { trial.SetUserAttr("epochs", 3); trial.SetUserAttr("note", "ok"); return 1; }, nTrials: 1);
        Assert.Equal(3, study.Trials[0].UserAttrs["epochs"].GetInt32());
        Assert.Equal("ok", study.Trials[0].UserAttrs["note"].GetString());
    }

    [Fact]
    public void CreateAndLoad_FollowOptunasRules()
    {
        using var storage = new InMemoryStorage();
        var first = Study.Create("s", StudyDirection.Maximize, storage: storage);
        first.Optimize(_ => 1, nTrials: 2);
        var again = Study.Create("s", StudyDirection.Maximize, storage: storage, loadIfExists: true);
        Assert.Equal(2, again.Trials.Count);
        Assert.Equal(2, Study.Load("s", storage).Trials.Count);
        var duplicate = Assert.Throws<InvalidOperationException>(() => Study.Create("s", StudyDirection.Maximize, storage: storage));
        Assert.Contains("loadIfExists", duplicate.Message);
        var direction = Assert.Throws<InvalidOperationException>(() => Study.Create("s", StudyDirection.Minimize, storage: storage, loadIfExists: true));
        Assert.Equal("Study 's' in memory exists with direction Maximize, not Minimize: pass direction Maximize or choose another study name.", direction.Message);
        var missing = Assert.Throws<InvalidOperationException>(() => Study.Load("t", storage));
        Assert.Contains("No study named 't'", missing.Message);
        Assert.Throws<InvalidOperationException>(() => Study.Create().BestTrial);
    }
}
