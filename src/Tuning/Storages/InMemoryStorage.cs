namespace Unified.Tuning.Storages;

/// <summary>Studies in this process's memory (Optuna's <c>InMemoryStorage</c>): the default, gone when the process ends.</summary>
public sealed class InMemoryStorage : IStorage
{
    sealed class Row(long studyId, int number, TrialState state)
    {
        public long StudyId = studyId;
        public int Number = number;
        public TrialState State = state;
        public double? Value;
        public DateTime? Start, Complete;
        public readonly Dictionary<string, string> Entries = new(StringComparer.Ordinal);
    }

    readonly Lock gate = new();
    readonly List<StudyRecord> studies = [];
    readonly List<Row> trials = [];

    /// <inheritdoc />
    public string Address => "memory";

    /// <inheritdoc />
    public TimeSpan? HeartbeatInterval => null;

    /// <inheritdoc />
    public TimeSpan GracePeriod => TimeSpan.Zero;

    /// <inheritdoc />
    public StudyRecord? CreateStudy(string name, StudyDirection direction)
    {
        lock (gate)
        {
            if (studies.Any(s => s.Name == name)) return null;
            var study = new StudyRecord(studies.Count, name, direction);
            studies.Add(study);
            return study;
        }
    }

    /// <inheritdoc />
    public StudyRecord? FindStudy(string name)
    {
        lock (gate) return studies.FirstOrDefault(s => s.Name == name);
    }

    /// <inheritdoc />
    public IReadOnlyList<string> StudyNames()
    {
        lock (gate) return studies.Select(s => s.Name).ToArray();
    }

    /// <inheritdoc />
    public FrozenTrial CreateTrial(long studyId, TrialState state, IReadOnlyDictionary<string, string>? systemAttrs = null)
    {
        lock (gate)
        {
            var row = new Row(studyId, trials.Count(t => t.StudyId == studyId), state);
            if (state == TrialState.Running) row.Start = DateTime.UtcNow;
            foreach (var (key, json) in systemAttrs ?? new Dictionary<string, string>()) row.Entries[TrialEntries.System + key] = json;
            trials.Add(row);
            return Freeze(trials.Count - 1);
        }
    }

    /// <inheritdoc />
    public FrozenTrial? PopWaitingTrial(long studyId)
    {
        lock (gate)
        {
            int index = trials.FindIndex(t => t.StudyId == studyId && t.State == TrialState.Waiting);
            if (index < 0) return null;
            (trials[index].State, trials[index].Start) = (TrialState.Running, DateTime.UtcNow);
            return Freeze(index);
        }
    }

    /// <inheritdoc />
    public bool SetParam(long trialId, string name, ParameterDistribution distribution, double internalValue) =>
        SetEntry(trialId, TrialEntries.Param + name, TrialEntries.ParamValue(distribution, internalValue));

    /// <inheritdoc />
    public bool SetIntermediateValue(long trialId, int step, double value) =>
        SetEntry(trialId, TrialEntries.Intermediate + step, TrialEntries.Number(value));

    /// <inheritdoc />
    public bool SetUserAttr(long trialId, string key, string json) => SetEntry(trialId, TrialEntries.User + key, json);

    /// <inheritdoc />
    public bool SetSystemAttr(long trialId, string key, string json) => SetEntry(trialId, TrialEntries.System + key, json);

    /// <inheritdoc />
    public bool FinishTrial(long trialId, TrialState state, double? value)
    {
        lock (gate)
        {
            var row = RowOf(trialId);
            if (row.State != TrialState.Running) return false;
            (row.State, row.Value, row.Complete) = (state, value, DateTime.UtcNow);
            return true;
        }
    }

    /// <inheritdoc />
    public void RecordHeartbeat(long trialId) { }

    /// <inheritdoc />
    public IReadOnlyList<int> FailStaleTrials(long studyId) => [];

    /// <inheritdoc />
    public FrozenTrial GetTrial(long trialId)
    {
        lock (gate)
        {
            RowOf(trialId);
            return Freeze((int)trialId);
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<FrozenTrial> GetAllTrials(long studyId)
    {
        lock (gate) return Enumerable.Range(0, trials.Count).Where(i => trials[i].StudyId == studyId).Select(Freeze).ToArray();
    }

    /// <inheritdoc />
    public void Dispose() { }

    bool SetEntry(long trialId, string key, string value)
    {
        lock (gate)
        {
            var row = RowOf(trialId);
            if (row.State != TrialState.Running) return false;
            row.Entries[key] = value;
            return true;
        }
    }

    Row RowOf(long trialId) => trialId >= 0 && trialId < trials.Count
        ? trials[(int)trialId]
        : throw new KeyNotFoundException($"No trial with id {trialId} in the in-memory storage.");

    FrozenTrial Freeze(int index)
    {
        var row = trials[index];
        return TrialEntries.Build(index, row.Number, row.State, row.Value, row.Start, row.Complete, row.Entries.ToArray());
    }
}
