using Unified.Testing;
using Unified.Tuning.Storages;
using Xunit;

namespace Unified.Tuning.Tests;

/// <summary>The storage contract, the same for the three storages (Redis: a real server on loopback).</summary>
[Collection(RedisCollection.Name)]
public sealed class StorageTests(RedisServer redis) : IDisposable
{
    readonly TempDirectory directory = new();

    public static TheoryData<string> Kinds => ["memory", "sqlite", "redis"];

    IStorage Open(string kind, string query = "") => kind switch
    {
        "memory" => new InMemoryStorage(),
        "sqlite" => StorageUri.Open("sqlite:///" + directory.File("studies.db") + query),
        _ => StorageUri.Open(redis.Uri(query: query)),
    };

    static string NewName() => "study-" + Guid.NewGuid().ToString("N");

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Trials_RoundTrip_EveryField(string kind)
    {
        using var storage = Open(kind);
        var study = Study.Create(NewName(), StudyDirection.Maximize, storage: storage);
        study.EnqueueTrial(new Dictionary<string, object?> { ["c"] = "b" });
        study.Optimize(trial =>
        {
            trial.SuggestFloat("f", 1e-3, 1, log: true);
            trial.SuggestInt("i", 0, 8, step: 2);
            trial.SuggestCategorical<object>("c", ["a", "b", 3]);
            trial.Report(0.25, 0);
            trial.Report(double.NaN, 1);
            trial.SetUserAttr("note", "x");
            return trial.Number == 1 ? throw new TrialPrunedException() : 0.5;
        }, nTrials: 2);
        var trials = Study.Load(study.Name, storage).Trials;
        Assert.Equal([TrialState.Complete, TrialState.Pruned], trials.Select(t => t.State));
        Assert.Equal("b", trials[0].Params["c"]);
        Assert.Equal(0.5, trials[0].Value);
        Assert.True(double.IsNaN(trials[1].Value!.Value), "a pruned trial keeps its last intermediate value, NaN included");
        Assert.Equal(0.25, trials[0].IntermediateValues[0]);
        Assert.Equal("x", trials[0].UserAttrs["note"].GetString());
        Assert.Equal(new IntDistribution(0, 8, step: 2), trials[0].Distributions["i"]);
        Assert.Equal(new FloatDistribution(1e-3, 1, log: true), trials[0].Distributions["f"]);
        Assert.NotNull(trials[0].DatetimeStart);
        Assert.NotNull(trials[0].DatetimeComplete);
        Assert.Contains(study.Name, storage.StudyNames());
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ThreadsCreatingTrials_GetConsecutiveNumbers(string kind)
    {
        using var storage = Open(kind);
        var study = Study.Create(NewName(), storage: storage);
        Parallel.For(0, 40, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ => storage.CreateTrial(study.StudyId, TrialState.Running));
        Assert.Equal(Enumerable.Range(0, 40), study.Trials.Select(t => t.Number));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void FinishedTrials_AreNeverChangedAgain(string kind)
    {
        using var storage = Open(kind);
        var study = Study.Create(NewName(), storage: storage);
        var trial = storage.CreateTrial(study.StudyId, TrialState.Running);
        Assert.True(storage.FinishTrial(trial.TrialId, TrialState.Complete, 1));
        Assert.False(storage.FinishTrial(trial.TrialId, TrialState.Fail, null));
        Assert.False(storage.SetIntermediateValue(trial.TrialId, 0, 2));
        Assert.False(storage.SetParam(trial.TrialId, "x", new FloatDistribution(0, 1), 0.5));
        var stored = storage.GetTrial(trial.TrialId);
        Assert.Equal((TrialState.Complete, 1.0), (stored.State, stored.Value!.Value));
        Assert.Empty(stored.IntermediateValues);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("redis")]
    public void StaleTrials_FailAfterTheGracePeriod_FreshOnesDoNot(string kind)
    {
        using var storage = Open(kind, "?heartbeat_interval=0.1&grace_period=0.3");
        var study = Study.Create(NewName(), storage: storage);
        var stale = storage.CreateTrial(study.StudyId, TrialState.Running);
        Thread.Sleep(800); // no heartbeat for longer than the grace period
        var alive = storage.CreateTrial(study.StudyId, TrialState.Running);
        Assert.Equal([stale.Number], study.FailStaleTrials());
        var failed = storage.GetTrial(stale.TrialId);
        Assert.Equal(TrialState.Fail, failed.State);
        Assert.StartsWith("No heartbeat for more than 0.3 s", failed.SystemAttrs["fail_reason"].GetString());
        Assert.False(storage.FinishTrial(stale.TrialId, TrialState.Complete, 1), "the dead worker's late result is refused");
        using var patient = Open(kind, "?heartbeat_interval=10&grace_period=60");
        Assert.Empty(Study.Load(study.Name, patient).FailStaleTrials());
        Assert.Equal(TrialState.Running, storage.GetTrial(alive.TrialId).State);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("redis")]
    public void Heartbeats_KeepALongTrialAlive(string kind)
    {
        using var storage = Open(kind, "?heartbeat_interval=0.1&grace_period=2");
        var study = Study.Create(NewName(), storage: storage);
        // Trial 0 runs for 3 grace-period-halves while trial 1 (another thread of the same study) reaps stale trials.
        study.Optimize(trial =>
        {
            if (trial.Number == 0) Thread.Sleep(2500);
            return trial.Number;
        }, nTrials: 6, nJobs: 2);
        Assert.All(study.Trials, t => Assert.Equal(TrialState.Complete, t.State));
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("redis")]
    public void AStudyPersists_AcrossOpenings_WithItsDirection(string kind)
    {
        string name = NewName();
        using (var storage = Open(kind))
            Study.Create(name, StudyDirection.Maximize, storage: storage).Optimize(t => t.SuggestFloat("x", 0, 1), nTrials: 3);
        using var reopened = Open(kind);
        var study = Study.Load(name, reopened);
        Assert.Equal((StudyDirection.Maximize, 3), (study.Direction, study.Trials.Count));
        var e = Assert.Throws<InvalidOperationException>(() => Study.Create(name, StudyDirection.Minimize, storage: reopened, loadIfExists: true));
        Assert.Contains("exists with direction Maximize, not Minimize", e.Message);
        Assert.Contains(reopened.Address, e.Message);
    }

    public void Dispose() => directory.Dispose();
}
