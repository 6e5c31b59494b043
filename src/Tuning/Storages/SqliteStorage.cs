using Microsoft.Data.Sqlite;

namespace Unified.Tuning.Storages;

/// <summary>
/// Studies in one SQLite file (the embedded default, as Optuna's RDB storage on SQLite): write-ahead logging so that
/// readers do not block the writer, a busy timeout so that workers on one file wait for each other's short
/// transactions, and every change in one statement or one immediate transaction, so that trial numbers stay unique
/// and consecutive across processes. A file that is not a study database is refused and left as it was.
/// </summary>
public sealed class SqliteStorage : IStorage
{
    const int SchemaVersion = 1;
    const string VersionTable = "unified_tuning_version";
    readonly SqliteConnection connection;
    readonly Lock gate = new();

    /// <summary>Opens (or creates) the study database at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a SQLite database, or a SQLite database without study tables.</exception>
    /// <exception cref="IOException">The file cannot be opened or created (e.g. its folder does not exist).</exception>
    public SqliteStorage(string path, StorageOptions? options = null)
    {
        options ??= new StorageOptions();
        options.Validate();
        (Path, Address) = (System.IO.Path.GetFullPath(path), "sqlite:///" + path);
        (HeartbeatInterval, GracePeriod) = (options.HeartbeatInterval, options.EffectiveGracePeriod);
        bool existed = File.Exists(Path) && new FileInfo(Path).Length > 0;
        connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Path, Pooling = false, DefaultTimeout = 30, Mode = SqliteOpenMode.ReadWriteCreate,
        }.ToString());
        try
        {
            OpenConnection();
            if (existed) CheckIsStudyDatabase();
            Execute("PRAGMA journal_mode=WAL; PRAGMA busy_timeout=30000; PRAGMA foreign_keys=ON;");
            CreateSchema();
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    // SQLite's "unable to open database file" says neither which file nor why; a missing folder is the usual cause.
    void OpenConnection()
    {
        try
        {
            connection.Open();
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 14)
        {
            string folder = System.IO.Path.GetDirectoryName(Path)!;
            throw new IOException(Directory.Exists(folder)
                ? $"Cannot open or create the SQLite file '{Path}': check that the file and its folder are writable."
                : $"Cannot create the SQLite file '{Path}': its folder '{folder}' does not exist; create it or pass another path.", e);
        }
    }

    /// <inheritdoc />
    public string Address { get; }

    /// <inheritdoc />
    public TimeSpan? HeartbeatInterval { get; }

    /// <inheritdoc />
    public TimeSpan GracePeriod { get; }

    void CheckIsStudyDatabase()
    {
        List<string> tables;
        try
        {
            tables = Query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", r => r.GetString(0));
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 26)
        {
            throw new InvalidDataException($"'{Path}' is not a SQLite database ({e.Message.TrimEnd('.')}); it was left as it was: pass a new file name or a study database.", e);
        }
        if (!tables.Contains(VersionTable))
            throw new InvalidDataException($"'{Path}' is a SQLite database but not a study database (its tables: {string.Join(", ", tables.DefaultIfEmpty("none"))}); it was left as it was: pass a new file name or a study database.");
        int version = Query($"SELECT version FROM {VersionTable}", r => r.GetInt32(0)).FirstOrDefault();
        if (version != SchemaVersion)
            throw new InvalidDataException($"'{Path}' is a study database of schema version {version}; this version reads {SchemaVersion}.");
    }

    void CreateSchema()
    {
        lock (gate)
        {
            using var transaction = connection.BeginTransaction();
            Execute($"""
                CREATE TABLE IF NOT EXISTS {VersionTable} (version INTEGER NOT NULL);
                INSERT INTO {VersionTable} (version) SELECT {SchemaVersion} WHERE NOT EXISTS (SELECT 1 FROM {VersionTable});
                CREATE TABLE IF NOT EXISTS studies (study_id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, direction TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS trials (
                    trial_id INTEGER PRIMARY KEY, study_id INTEGER NOT NULL REFERENCES studies (study_id), number INTEGER NOT NULL,
                    state TEXT NOT NULL, value TEXT, started TEXT, completed TEXT, heartbeat INTEGER, UNIQUE (study_id, number));
                CREATE INDEX IF NOT EXISTS trials_by_state ON trials (study_id, state);
                CREATE TABLE IF NOT EXISTS trial_entries (
                    trial_id INTEGER NOT NULL REFERENCES trials (trial_id), key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (trial_id, key));
                """, transaction);
            transaction.Commit();
        }
    }

    /// <inheritdoc />
    public StudyRecord? CreateStudy(string name, StudyDirection direction)
    {
        lock (gate)
        {
            var id = Query("INSERT INTO studies (name, direction) VALUES ($name, $direction) ON CONFLICT (name) DO NOTHING RETURNING study_id",
                r => r.GetInt64(0), ("$name", name), ("$direction", direction.ToString()));
            return id.Count == 0 ? null : new StudyRecord(id[0], name, direction);
        }
    }

    /// <inheritdoc />
    public StudyRecord? FindStudy(string name)
    {
        lock (gate)
            return Query("SELECT study_id, direction FROM studies WHERE name = $name",
                r => new StudyRecord(r.GetInt64(0), name, Enum.Parse<StudyDirection>(r.GetString(1))), ("$name", name)).FirstOrDefault();
    }

    /// <inheritdoc />
    public IReadOnlyList<string> StudyNames()
    {
        lock (gate) return Query("SELECT name FROM studies ORDER BY study_id", r => r.GetString(0));
    }

    /// <inheritdoc />
    public FrozenTrial CreateTrial(long studyId, TrialState state, IReadOnlyDictionary<string, string>? systemAttrs = null)
    {
        lock (gate)
        {
            // One immediate transaction: the next number and the insert happen under SQLite's write lock.
            using var transaction = connection.BeginTransaction();
            bool running = state == TrialState.Running;
            long trialId = Query("""
                INSERT INTO trials (study_id, number, state, started, heartbeat)
                VALUES ($study, (SELECT COALESCE(MAX(number), -1) + 1 FROM trials WHERE study_id = $study), $state, $started, $heartbeat)
                RETURNING trial_id
                """, r => r.GetInt64(0), transaction, ("$study", studyId), ("$state", state.ToString()),
                ("$started", running ? TrialEntries.Time(DateTime.UtcNow) : null), ("$heartbeat", running ? Now() : null))[0];
            foreach (var (key, json) in systemAttrs ?? new Dictionary<string, string>())
                Execute("INSERT INTO trial_entries (trial_id, key, value) VALUES ($id, $key, $value)", transaction,
                    ("$id", trialId), ("$key", TrialEntries.System + key), ("$value", json));
            transaction.Commit();
            return GetTrial(trialId);
        }
    }

    /// <inheritdoc />
    public FrozenTrial? PopWaitingTrial(long studyId)
    {
        lock (gate)
        {
            var ids = Query("""
                UPDATE trials SET state = 'Running', started = $started, heartbeat = $now
                WHERE trial_id = (SELECT trial_id FROM trials WHERE study_id = $study AND state = 'Waiting' ORDER BY number LIMIT 1)
                RETURNING trial_id
                """, r => r.GetInt64(0), ("$study", studyId), ("$started", TrialEntries.Time(DateTime.UtcNow)), ("$now", Now()));
            return ids.Count == 0 ? null : GetTrial(ids[0]);
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

    bool SetEntry(long trialId, string key, string value)
    {
        lock (gate)
            return Execute("""
                INSERT OR REPLACE INTO trial_entries (trial_id, key, value)
                SELECT $id, $key, $value WHERE EXISTS (SELECT 1 FROM trials WHERE trial_id = $id AND state = 'Running')
                """, null, ("$id", trialId), ("$key", key), ("$value", value)) == 1;
    }

    /// <inheritdoc />
    public bool FinishTrial(long trialId, TrialState state, double? value)
    {
        lock (gate)
            return Execute("UPDATE trials SET state = $state, value = $value, completed = $completed WHERE trial_id = $id AND state = 'Running'",
                null, ("$state", state.ToString()), ("$value", value is { } v ? TrialEntries.Number(v) : null),
                ("$completed", TrialEntries.Time(DateTime.UtcNow)), ("$id", trialId)) == 1;
    }

    /// <inheritdoc />
    public void RecordHeartbeat(long trialId)
    {
        lock (gate) Execute("UPDATE trials SET heartbeat = $now WHERE trial_id = $id AND state = 'Running'", null, ("$now", Now()), ("$id", trialId));
    }

    /// <inheritdoc />
    public IReadOnlyList<int> FailStaleTrials(long studyId)
    {
        lock (gate)
        {
            using var transaction = connection.BeginTransaction();
            var stale = Query("""
                UPDATE trials SET state = 'Fail', completed = $completed
                WHERE study_id = $study AND state = 'Running' AND heartbeat < $cutoff RETURNING trial_id, number
                """, r => (Id: r.GetInt64(0), Number: r.GetInt32(1)), transaction, ("$study", studyId),
                ("$completed", TrialEntries.Time(DateTime.UtcNow)), ("$cutoff", Now() - (long)GracePeriod.TotalMilliseconds));
            foreach (var (id, _) in stale)
                Execute("INSERT OR REPLACE INTO trial_entries (trial_id, key, value) VALUES ($id, $key, $value)", transaction,
                    ("$id", id), ("$key", TrialEntries.System + Study.FailReasonKey), ("$value", StaleReason(GracePeriod)));
            transaction.Commit();
            return stale.Select(s => s.Number).Order().ToArray();
        }
    }

    internal static string StaleReason(TimeSpan grace) =>
        System.Text.Json.JsonSerializer.Serialize($"No heartbeat for more than {grace.TotalSeconds:0.###} s: the worker stopped.");

    /// <inheritdoc />
    public FrozenTrial GetTrial(long trialId)
    {
        lock (gate)
            return Read("WHERE t.trial_id = $id", ("$id", trialId)).SingleOrDefault()
                ?? throw new KeyNotFoundException($"No trial with id {trialId} in {Address}.");
    }

    /// <inheritdoc />
    public IReadOnlyList<FrozenTrial> GetAllTrials(long studyId)
    {
        lock (gate) return Read("WHERE t.study_id = $study", ("$study", studyId));
    }

    List<FrozenTrial> Read(string where, (string, object?) parameter)
    {
        var rows = Query($"""
            SELECT t.trial_id, t.number, t.state, t.value, t.started, t.completed, e.key, e.value
            FROM trials t LEFT JOIN trial_entries e ON e.trial_id = t.trial_id {where} ORDER BY t.number
            """, r => (Id: r.GetInt64(0), Number: r.GetInt32(1), State: r.GetString(2), Value: r.IsDBNull(3) ? null : r.GetString(3),
                Start: r.IsDBNull(4) ? null : r.GetString(4), Complete: r.IsDBNull(5) ? null : r.GetString(5),
                Key: r.IsDBNull(6) ? null : r.GetString(6), Entry: r.IsDBNull(7) ? null : r.GetString(7)), parameter);
        return rows.GroupBy(r => r.Id).Select(g =>
        {
            var first = g.First();
            return TrialEntries.Build(first.Id, first.Number, Enum.Parse<TrialState>(first.State),
                first.Value is null ? null : TrialEntries.ParseNumber(first.Value), TrialEntries.ParseTime(first.Start), TrialEntries.ParseTime(first.Complete),
                g.Where(r => r.Key is not null).Select(r => new KeyValuePair<string, string>(r.Key!, r.Entry!)));
        }).ToList();
    }

    static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    int Execute(string sql, SqliteTransaction? transaction = null, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(sql, transaction, parameters);
        return command.ExecuteNonQuery();
    }

    List<T> Query<T>(string sql, Func<SqliteDataReader, T> read, params (string Name, object? Value)[] parameters) => Query(sql, read, null, parameters);

    List<T> Query<T>(string sql, Func<SqliteDataReader, T> read, SqliteTransaction? transaction, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(sql, transaction, parameters);
        using var reader = command.ExecuteReader();
        var result = new List<T>();
        while (reader.Read()) result.Add(read(reader));
        return result;
    }

    SqliteCommand Command(string sql, SqliteTransaction? transaction, (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        (command.CommandText, command.Transaction) = (sql, transaction);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (gate) connection.Dispose();
    }
}
