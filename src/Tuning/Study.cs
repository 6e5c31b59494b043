using System.Text.Json;
using Unified.Tuning.Pruners;
using Unified.Tuning.Samplers;
using Unified.Tuning.Storages;

namespace Unified.Tuning;

/// <summary>
/// A hyper-parameter search (Optuna's <c>Study</c>): a named set of trials in a storage, a direction, a sampler that
/// proposes parameters and a pruner that stops hopeless trials. Many workers, threads or processes, may share one
/// study through a persistent storage (<see cref="Storages.StorageUri.Open"/>).
/// </summary>
/// <example><code>
/// using var storage = StorageUri.Open("sqlite:///studies.db");
/// var study = Study.Create("mlp", StudyDirection.Maximize, storage: storage, loadIfExists: true);
/// study.Optimize(trial => Train(trial.SuggestFloat("lr", 1e-4, 1e-1, log: true)), nTrials: 20);
/// Console.WriteLine(study.BestParams["lr"]);
/// </code></example>
public sealed partial class Study
{
    internal const string FixedParamsKey = "fixed_params", FailReasonKey = "fail_reason";
    volatile bool stopRequested;

    Study(StudyRecord record, IStorage storage, ISampler? sampler, IPruner? pruner)
    {
        (Name, Direction, StudyId, Storage) = (record.Name, record.Direction, record.StudyId, storage);
        Sampler = sampler ?? new TpeSampler();
        Pruner = pruner ?? new MedianPruner();
    }

    /// <summary>The study's unique name in its storage.</summary>
    public string Name { get; }

    /// <summary>Whether smaller or larger values are better.</summary>
    public StudyDirection Direction { get; }

    /// <summary>The storage's id of the study.</summary>
    public long StudyId { get; }

    /// <summary>Where the trials live.</summary>
    public IStorage Storage { get; }

    /// <summary>Proposes parameters (default: TPE with Optuna's defaults).</summary>
    public ISampler Sampler { get; }

    /// <summary>Stops hopeless trials (default: the median pruner with Optuna's defaults).</summary>
    public IPruner Pruner { get; }

    /// <summary>
    /// Creates a study (Optuna's <c>create_study</c>); in memory unless <paramref name="storage"/> is given. With
    /// <paramref name="loadIfExists"/>, a study of that name is loaded instead of refused.
    /// </summary>
    /// <exception cref="InvalidOperationException">The study exists (without <paramref name="loadIfExists"/>), or exists with the other direction.</exception>
    public static Study Create(string? name = null, StudyDirection direction = StudyDirection.Minimize, ISampler? sampler = null,
        IPruner? pruner = null, IStorage? storage = null, bool loadIfExists = false)
    {
        storage ??= new InMemoryStorage();
        name ??= "no-name-" + Guid.NewGuid().ToString("D");
        if (storage.CreateStudy(name, direction) is { } created) return new Study(created, storage, sampler, pruner);
        var existing = storage.FindStudy(name)!;
        if (!loadIfExists)
            throw new InvalidOperationException($"A study named '{name}' exists in {storage.Address}: pass loadIfExists: true to continue it, or choose another name.");
        if (existing.Direction != direction)
            throw new InvalidOperationException($"Study '{name}' in {storage.Address} exists with direction {existing.Direction}, not {direction}: pass direction {existing.Direction} or choose another study name.");
        return new Study(existing, storage, sampler, pruner);
    }

    /// <summary>Loads an existing study (Optuna's <c>load_study</c>).</summary>
    /// <exception cref="InvalidOperationException">No study of that name is in the storage.</exception>
    public static Study Load(string name, IStorage storage, ISampler? sampler = null, IPruner? pruner = null)
    {
        ArgumentNullException.ThrowIfNull(storage);
        var record = storage.FindStudy(name) ?? throw new InvalidOperationException(
            $"No study named '{name}' in {storage.Address} (it has: {string.Join(", ", storage.StudyNames().DefaultIfEmpty("none"))}): create it with Study.Create.");
        return new Study(record, storage, sampler, pruner);
    }

    /// <summary>Every trial of the study, by number, as the storage holds them now.</summary>
    public IReadOnlyList<FrozenTrial> Trials => Storage.GetAllTrials(StudyId);

    /// <summary>The trials in the given states.</summary>
    public IReadOnlyList<FrozenTrial> GetTrials(params TrialState[] states) =>
        Trials.Where(t => states.Length == 0 || states.Contains(t.State)).ToArray();

    /// <summary>The best complete trial; among equal values the lowest number.</summary>
    /// <exception cref="InvalidOperationException">No trial has completed yet.</exception>
    public FrozenTrial BestTrial
    {
        get
        {
            var complete = GetTrials(TrialState.Complete);
            if (complete.Count == 0) throw new InvalidOperationException($"Study '{Name}' has no complete trial yet: run Optimize first.");
            return Direction == StudyDirection.Minimize
                ? complete.OrderBy(t => t.Value).ThenBy(t => t.Number).First()
                : complete.OrderByDescending(t => t.Value).ThenBy(t => t.Number).First();
        }
    }

    /// <summary>The best complete trial's value.</summary>
    public double BestValue => BestTrial.Value!.Value;

    /// <summary>The best complete trial's parameters.</summary>
    public IReadOnlyDictionary<string, object?> BestParams => BestTrial.Params;

    /// <summary>
    /// Adds a waiting trial with fixed parameters, evaluated before any sampled one (Optuna's <c>enqueue_trial</c>);
    /// parameters it does not fix are sampled.
    /// </summary>
    public void EnqueueTrial(IReadOnlyDictionary<string, object?> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Storage.CreateTrial(StudyId, TrialState.Waiting, new Dictionary<string, string> { [FixedParamsKey] = JsonSerializer.Serialize(parameters) });
    }

    /// <summary>Asks the study to start no new trial (Optuna's <c>stop</c>); running trials finish.</summary>
    public void Stop() => stopRequested = true;

    /// <summary>Starts a trial: the oldest enqueued one, or a new one (Optuna's <c>ask</c>).</summary>
    public Trial Ask()
    {
        var frozen = Storage.PopWaitingTrial(StudyId) ?? Storage.CreateTrial(StudyId, TrialState.Running);
        Sampler.BeforeTrial(this, frozen);
        // Read back what the sampler recorded (e.g. the grid point).
        return new Trial(this, Storage.GetTrial(frozen.TrialId));
    }

    /// <summary>
    /// Finishes <paramref name="trial"/> (Optuna's <c>tell</c>): complete with <paramref name="value"/>, pruned (its
    /// value is the last intermediate value) or failed. Returns the trial as stored; false in the tuple when the
    /// trial had already finished, e.g. failed because its heartbeats stopped.
    /// </summary>
    public (FrozenTrial Trial, bool Recorded) Tell(Trial trial, TrialState state, double? value = null)
    {
        ArgumentNullException.ThrowIfNull(trial);
        if (state is TrialState.Running or TrialState.Waiting)
            throw new ArgumentException($"A trial is told complete, pruned or failed, not {state}.", nameof(state));
        if (state == TrialState.Complete && (value is not { } v || double.IsNaN(v)))
            throw new ArgumentException($"A complete trial needs a value that is not NaN (got {value}); tell it as failed instead.", nameof(value));
        if (state == TrialState.Pruned) value = trial.Snapshot() is { LastStep: int last } snapshot ? snapshot.IntermediateValues[last] : null;
        if (state == TrialState.Fail) value = null;
        bool recorded = Storage.FinishTrial(trial.TrialId, state, value);
        var stored = Storage.GetTrial(trial.TrialId);
        Sampler.AfterTrial(this, stored);
        return (stored, recorded);
    }
}
