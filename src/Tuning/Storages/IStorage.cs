namespace Unified.Tuning.Storages;

/// <summary>
/// Where studies and trials live (Optuna's <c>BaseStorage</c>). Every method is safe to call from many threads, and
/// for the persistent storages from many processes: trial numbers are allocated atomically, and a finished trial is
/// never changed again (a write to it returns false or throws).
/// </summary>
public interface IStorage : IDisposable
{
    /// <summary>A description for messages, e.g. <c>sqlite:///studies.db</c>.</summary>
    string Address { get; }

    /// <summary>How often a running trial's worker records a heartbeat; null: no heartbeats (a dead worker's trial stays running).</summary>
    TimeSpan? HeartbeatInterval { get; }

    /// <summary>How long a running trial may go without a heartbeat before <see cref="FailStaleTrials"/> marks it failed.</summary>
    TimeSpan GracePeriod { get; }

    /// <summary>Creates a study; null when one with that name exists already.</summary>
    StudyRecord? CreateStudy(string name, StudyDirection direction);

    /// <summary>The study named <paramref name="name"/>, or null.</summary>
    StudyRecord? FindStudy(string name);

    /// <summary>Every study's name.</summary>
    IReadOnlyList<string> StudyNames();

    /// <summary>
    /// Creates a trial with the next number of the study: <see cref="TrialState.Running"/> (started now, heartbeat now)
    /// or <see cref="TrialState.Waiting"/> (enqueued) with <paramref name="systemAttrs"/> (JSON texts).
    /// </summary>
    FrozenTrial CreateTrial(long studyId, TrialState state, IReadOnlyDictionary<string, string>? systemAttrs = null);

    /// <summary>Atomically takes the oldest waiting trial and starts it (running, heartbeat now); null when none waits.</summary>
    FrozenTrial? PopWaitingTrial(long studyId);

    /// <summary>Records a parameter of a running trial; false when the trial has finished.</summary>
    bool SetParam(long trialId, string name, ParameterDistribution distribution, double internalValue);

    /// <summary>Records an intermediate value of a running trial; false when the trial has finished.</summary>
    bool SetIntermediateValue(long trialId, int step, double value);

    /// <summary>Records a user attribute (JSON text) of a running trial; false when the trial has finished.</summary>
    bool SetUserAttr(long trialId, string key, string json);

    /// <summary>Records a system attribute (JSON text) of a running trial; false when the trial has finished.</summary>
    bool SetSystemAttr(long trialId, string key, string json);

    /// <summary>Finishes a running trial; false when it had finished already (e.g. failed for a missed heartbeat).</summary>
    bool FinishTrial(long trialId, TrialState state, double? value);

    /// <summary>Records that the running trial's worker is alive.</summary>
    void RecordHeartbeat(long trialId);

    /// <summary>Marks failed every running trial of the study whose last heartbeat is older than <see cref="GracePeriod"/>; returns their numbers.</summary>
    IReadOnlyList<int> FailStaleTrials(long studyId);

    /// <summary>One trial.</summary>
    FrozenTrial GetTrial(long trialId);

    /// <summary>Every trial of the study, by number.</summary>
    IReadOnlyList<FrozenTrial> GetAllTrials(long studyId);
}
