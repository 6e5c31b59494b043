using System.Globalization;
using StackExchange.Redis;

namespace Unified.Tuning.Storages;

/// <summary>
/// Studies on a Redis server, for workers on one or many machines (as Optuna's journal storage on Redis). Every
/// change is one Lua script, which Redis runs atomically: a trial's number comes from the study's counter inside the
/// script that creates it, a write to a trial happens only while it is running, and heartbeats and the stale-trial
/// check use the server's clock, so that workers' clocks need not agree.
/// </summary>
public sealed class RedisStorage : IStorage
{
    const string Prefix = "unified-tuning:";
    const string Now = "local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) ";

    static readonly LuaScript CreateStudyScript = LuaScript.Prepare("""
        local id = redis.call('HGET', @prefix .. 'studies', @name)
        if id then return {0, id, redis.call('HGET', @prefix .. 'study:' .. id, 'direction')} end
        id = redis.call('INCR', @prefix .. 'next_study_id') - 1
        redis.call('HSET', @prefix .. 'studies', @name, id)
        redis.call('HSET', @prefix .. 'study:' .. id, 'name', @name, 'direction', @direction)
        return {1, id, @direction}
        """);

    // ARGV beyond the named ones: field/value pairs of system attributes.
    const string CreateTrialScript = Now + """
        local p, s, state = ARGV[1], ARGV[2], ARGV[3]
        local number = redis.call('INCR', p .. 'study:' .. s .. ':next_number') - 1
        local id = redis.call('INCR', p .. 'next_trial_id')
        local key = p .. 'trial:' .. id
        redis.call('HSET', key, 'study', s, 'number', number, 'state', state)
        if state == 'Running' then
          redis.call('HSET', key, 'started', now, 'heartbeat', now)
          redis.call('SADD', p .. 'study:' .. s .. ':running', id)
        else
          redis.call('RPUSH', p .. 'study:' .. s .. ':waiting', id)
        end
        for i = 4, #ARGV, 2 do redis.call('HSET', key, ARGV[i], ARGV[i + 1]) end
        redis.call('RPUSH', p .. 'study:' .. s .. ':trials', id)
        return id
        """;

    const string PopWaitingScript = Now + """
        local p, s = ARGV[1], ARGV[2]
        local id = redis.call('LPOP', p .. 'study:' .. s .. ':waiting')
        if not id then return false end
        redis.call('HSET', p .. 'trial:' .. id, 'state', 'Running', 'started', now, 'heartbeat', now)
        redis.call('SADD', p .. 'study:' .. s .. ':running', id)
        return id
        """;

    const string SetIfRunningScript = """
        if redis.call('HGET', KEYS[1], 'state') ~= 'Running' then return 0 end
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        return 1
        """;

    const string FinishScript = Now + """
        if redis.call('HGET', KEYS[1], 'state') ~= 'Running' then return 0 end
        redis.call('HSET', KEYS[1], 'state', ARGV[1], 'completed', now)
        if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'value', ARGV[2]) end
        redis.call('SREM', KEYS[2], ARGV[3])
        return 1
        """;

    const string HeartbeatScript = Now + """
        if redis.call('HGET', KEYS[1], 'state') == 'Running' then redis.call('HSET', KEYS[1], 'heartbeat', now) end
        return 1
        """;

    const string FailStaleScript = Now + """
        local failed = {}
        for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
          local key = ARGV[1] .. 'trial:' .. id
          local state, beat = unpack(redis.call('HMGET', key, 'state', 'heartbeat'))
          if state == 'Running' and now - tonumber(beat) > tonumber(ARGV[2]) then
            redis.call('HSET', key, 'state', 'Fail', 'completed', now, ARGV[3], ARGV[4])
            redis.call('SREM', KEYS[1], id)
            table.insert(failed, tonumber(redis.call('HGET', key, 'number')))
          elseif state ~= 'Running' then
            redis.call('SREM', KEYS[1], id)
          end
        end
        return failed
        """;

    readonly ConnectionMultiplexer redis;
    readonly IDatabase db;

    /// <summary>Connects to the server; fails within the connect timeout when it does not answer.</summary>
    /// <exception cref="TimeoutException">No Redis server answered at HOST:PORT.</exception>
    public RedisStorage(string host, int port, int database = 0, StorageOptions? options = null)
    {
        options ??= new StorageOptions();
        options.Validate();
        Address = $"redis://{host}:{port}/{database}";
        (HeartbeatInterval, GracePeriod) = (options.HeartbeatInterval, options.EffectiveGracePeriod);
        var configuration = new ConfigurationOptions
        {
            EndPoints = { { host, port } },
            DefaultDatabase = database,
            AbortOnConnectFail = true,
            ConnectRetry = 1,
            ConnectTimeout = (int)options.ConnectTimeout.TotalMilliseconds,
            SyncTimeout = (int)Math.Max(options.ConnectTimeout.TotalMilliseconds, 10_000),
            AsyncTimeout = (int)Math.Max(options.ConnectTimeout.TotalMilliseconds, 10_000),
        };
        try
        {
            redis = ConnectionMultiplexer.Connect(configuration);
        }
        catch (RedisConnectionException e)
        {
            throw new TimeoutException($"No Redis server answered at {host}:{port} within {options.ConnectTimeout.TotalSeconds:0.#} s: start redis-server there or fix the storage URI ({Address}).", e);
        }
        db = redis.GetDatabase(database);
    }

    /// <inheritdoc />
    public string Address { get; }

    /// <inheritdoc />
    public TimeSpan? HeartbeatInterval { get; }

    /// <inheritdoc />
    public TimeSpan GracePeriod { get; }

    /// <inheritdoc />
    public StudyRecord? CreateStudy(string name, StudyDirection direction)
    {
        var result = (RedisResult[])db.ScriptEvaluate(CreateStudyScript, new { prefix = Prefix, name, direction = direction.ToString() })!;
        return (int)result[0] == 1 ? new StudyRecord((long)result[1], name, direction) : null;
    }

    /// <inheritdoc />
    public StudyRecord? FindStudy(string name)
    {
        var id = db.HashGet(Prefix + "studies", name);
        if (id.IsNull) return null;
        var direction = db.HashGet(Prefix + "study:" + id, "direction");
        return new StudyRecord((long)id, name, Enum.Parse<StudyDirection>(direction.ToString()));
    }

    /// <inheritdoc />
    public IReadOnlyList<string> StudyNames() => db.HashKeys(Prefix + "studies").Select(k => k.ToString()).Order(StringComparer.Ordinal).ToArray();

    /// <inheritdoc />
    public FrozenTrial CreateTrial(long studyId, TrialState state, IReadOnlyDictionary<string, string>? systemAttrs = null)
    {
        var args = new List<RedisValue> { Prefix, studyId, state.ToString() };
        foreach (var (key, json) in systemAttrs ?? new Dictionary<string, string>()) args.AddRange([TrialEntries.System + key, json]);
        long id = (long)db.ScriptEvaluate(CreateTrialScript, [], [.. args]);
        return GetTrial(id);
    }

    /// <inheritdoc />
    public FrozenTrial? PopWaitingTrial(long studyId)
    {
        var id = db.ScriptEvaluate(PopWaitingScript, [], [Prefix, studyId]);
        return id.IsNull ? null : GetTrial((long)id);
    }

    /// <inheritdoc />
    public bool SetParam(long trialId, string name, ParameterDistribution distribution, double internalValue) =>
        SetIfRunning(trialId, TrialEntries.Param + name, TrialEntries.ParamValue(distribution, internalValue));

    /// <inheritdoc />
    public bool SetIntermediateValue(long trialId, int step, double value) =>
        SetIfRunning(trialId, TrialEntries.Intermediate + step.ToString(CultureInfo.InvariantCulture), TrialEntries.Number(value));

    /// <inheritdoc />
    public bool SetUserAttr(long trialId, string key, string json) => SetIfRunning(trialId, TrialEntries.User + key, json);

    /// <inheritdoc />
    public bool SetSystemAttr(long trialId, string key, string json) => SetIfRunning(trialId, TrialEntries.System + key, json);

    bool SetIfRunning(long trialId, string field, string value) =>
        (int)db.ScriptEvaluate(SetIfRunningScript, [TrialKey(trialId)], [field, value]) == 1;

    /// <inheritdoc />
    public bool FinishTrial(long trialId, TrialState state, double? value)
    {
        long studyId = (long)db.HashGet(TrialKey(trialId), "study");
        return (int)db.ScriptEvaluate(FinishScript, [TrialKey(trialId), $"{Prefix}study:{studyId}:running"],
            [state.ToString(), value is { } v ? TrialEntries.Number(v) : "", trialId]) == 1;
    }

    /// <inheritdoc />
    public void RecordHeartbeat(long trialId) => db.ScriptEvaluate(HeartbeatScript, [TrialKey(trialId)]);

    /// <inheritdoc />
    public IReadOnlyList<int> FailStaleTrials(long studyId)
    {
        var failed = (RedisResult[])db.ScriptEvaluate(FailStaleScript, [$"{Prefix}study:{studyId}:running"],
            [Prefix, (long)GracePeriod.TotalMilliseconds, TrialEntries.System + Study.FailReasonKey, SqliteStorage.StaleReason(GracePeriod)])!;
        return failed.Select(r => (int)r).Order().ToArray();
    }

    /// <inheritdoc />
    public FrozenTrial GetTrial(long trialId)
    {
        var fields = db.HashGetAll(TrialKey(trialId));
        if (fields.Length == 0) throw new KeyNotFoundException($"No trial with id {trialId} in {Address}.");
        return Build(trialId, fields);
    }

    /// <inheritdoc />
    public IReadOnlyList<FrozenTrial> GetAllTrials(long studyId)
    {
        var ids = db.ListRange($"{Prefix}study:{studyId}:trials").Select(v => (long)v).ToArray();
        var batch = db.CreateBatch();
        var reads = ids.Select(id => batch.HashGetAllAsync(TrialKey(id))).ToArray();
        batch.Execute();
        return ids.Select((id, i) => Build(id, reads[i].GetAwaiter().GetResult())).OrderBy(t => t.Number).ToArray();
    }

    static string TrialKey(long trialId) => Prefix + "trial:" + trialId.ToString(CultureInfo.InvariantCulture);

    static FrozenTrial Build(long trialId, HashEntry[] fields)
    {
        var map = fields.ToDictionary(f => f.Name.ToString(), f => f.Value.ToString(), StringComparer.Ordinal);
        static DateTime? Time(Dictionary<string, string> map, string key) =>
            map.TryGetValue(key, out var ms) ? DateTimeOffset.FromUnixTimeMilliseconds((long)double.Parse(ms, CultureInfo.InvariantCulture)).UtcDateTime : null;
        return TrialEntries.Build(trialId, int.Parse(map["number"], CultureInfo.InvariantCulture), Enum.Parse<TrialState>(map["state"]),
            map.TryGetValue("value", out var value) ? TrialEntries.ParseNumber(value) : null, Time(map, "started"), Time(map, "completed"),
            map.Where(f => f.Key.Contains(':')));
    }

    /// <inheritdoc />
    public void Dispose() => redis.Dispose();
}
