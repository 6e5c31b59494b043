using System.Text.Json;

namespace Unified.Tuning;

/// <summary>
/// One evaluation of the objective (Optuna's <c>Trial</c>): the objective asks it for parameters, reports
/// intermediate values and asks whether to stop. Every value is recorded in the study's storage as it happens.
/// </summary>
/// <example><code>
/// double Objective(Trial trial)
/// {
///     double lr = trial.SuggestFloat("lr", 1e-5, 1e-1, log: true);
///     int width = trial.SuggestInt("width", 32, 512, log: true);
///     return Train(lr, width);
/// }
/// </code></example>
public sealed class Trial
{
    readonly Dictionary<string, ParameterDistribution> distributions = new(StringComparer.Ordinal);
    readonly Dictionary<string, double> internals = new(StringComparer.Ordinal);
    readonly SortedDictionary<int, double> intermediate = [];
    readonly Dictionary<string, JsonElement> userAttrs = new(StringComparer.Ordinal);
    readonly IReadOnlyDictionary<string, JsonElement>? fixedParams;
    FrozenTrial started;

    internal Trial(Study study, FrozenTrial started)
    {
        (Study, this.started) = (study, started);
        if (started.SystemAttrs.TryGetValue(Study.FixedParamsKey, out var fixedJson))
            fixedParams = fixedJson.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal);
    }

    /// <summary>The study this trial belongs to.</summary>
    public Study Study { get; }

    /// <summary>The trial's number in its study.</summary>
    public int Number => started.Number;

    /// <summary>The storage's id of the trial.</summary>
    public long TrialId => started.TrialId;

    /// <summary>When the trial started (UTC).</summary>
    public DateTime? DatetimeStart => started.DatetimeStart;

    /// <summary>The parameters suggested so far.</summary>
    public IReadOnlyDictionary<string, object?> Params => internals.ToDictionary(p => p.Key, p => distributions[p.Key].ToExternal(p.Value));

    /// <summary>The user attributes set so far.</summary>
    public IReadOnlyDictionary<string, JsonElement> UserAttrs => userAttrs;

    /// <summary>
    /// A real parameter in [<paramref name="low"/>, <paramref name="high"/>], log-uniform with <paramref name="log"/>,
    /// or on a grid of <paramref name="step"/> (Optuna's <c>suggest_float</c>).
    /// </summary>
    /// <exception cref="ArgumentException">A bad range (see <see cref="FloatDistribution"/>), or the name was suggested with another range.</exception>
    public double SuggestFloat(string name, double low, double high, double? step = null, bool log = false) =>
        (double)Suggest(name, new FloatDistribution(low, high, log, step))!;

    /// <summary>An integer parameter in [<paramref name="low"/>, <paramref name="high"/>] (Optuna's <c>suggest_int</c>).</summary>
    /// <exception cref="ArgumentException">A bad range (see <see cref="IntDistribution"/>), or the name was suggested with another range.</exception>
    public int SuggestInt(string name, int low, int high, int step = 1, bool log = false) =>
        (int)Suggest(name, new IntDistribution(low, high, log, step))!;

    /// <summary>One of <paramref name="choices"/> (Optuna's <c>suggest_categorical</c>).</summary>
    /// <exception cref="ArgumentException">No choices, a choice a storage cannot keep, or the name was suggested with other choices.</exception>
    public T SuggestCategorical<T>(string name, IReadOnlyList<T> choices)
    {
        ArgumentNullException.ThrowIfNull(choices);
        int index = (int)Math.Round(SuggestInternal(name, new CategoricalDistribution(choices.Cast<object?>().ToArray())));
        return choices[index];
    }

    /// <summary>
    /// Reports the objective's value at <paramref name="step"/> (e.g. the epoch) for the pruner (Optuna's
    /// <c>report</c>); a second report for the same step is ignored, as in Optuna.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="step"/> is negative.</exception>
    public void Report(double value, int step)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, "The step must be ≥ 0 (e.g. the epoch).");
        if (!intermediate.TryAdd(step, value)) return;
        Study.Storage.SetIntermediateValue(TrialId, step, value);
    }

    /// <summary>Whether the study's pruner would stop this trial now, after its last <see cref="Report"/> (Optuna's <c>should_prune</c>).</summary>
    public bool ShouldPrune() =>
        // With the system attributes as stored: pruners keep state there (successive halving's rungs).
        Study.Pruner.Prune(Study, Snapshot() with { SystemAttrs = Study.Storage.GetTrial(TrialId).SystemAttrs });

    /// <summary>Sets a user attribute, any value that serialises to JSON (Optuna's <c>set_user_attr</c>).</summary>
    public void SetUserAttr(string key, object? value)
    {
        string json = JsonSerializer.Serialize(value);
        userAttrs[key] = JsonDocument.Parse(json).RootElement.Clone();
        Study.Storage.SetUserAttr(TrialId, key, json);
    }

    /// <summary>The trial as it stands, with the values recorded so far.</summary>
    public FrozenTrial Snapshot() => started with
    {
        Distributions = new Dictionary<string, ParameterDistribution>(distributions),
        InternalParams = new Dictionary<string, double>(internals),
        IntermediateValues = new SortedDictionary<int, double>(intermediate),
        UserAttrs = new Dictionary<string, JsonElement>(userAttrs),
    };

    object? Suggest(string name, ParameterDistribution distribution) => distribution.ToExternal(SuggestInternal(name, distribution));

    double SuggestInternal(string name, ParameterDistribution distribution)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (distributions.TryGetValue(name, out var previous))
        {
            // Optuna returns the first value; a different range is a mistake in the objective, so it is refused.
            if (!previous.Equals(distribution))
                throw new ArgumentException($"Parameter '{name}' was already suggested in trial {Number} as {previous}, now as {distribution}: suggest it with the same range or use another name.");
            return internals[name];
        }
        double value;
        if (fixedParams is not null && fixedParams.TryGetValue(name, out var fixedValue))
            value = distribution.ToInternal(CategoricalDistribution.FromNode(System.Text.Json.Nodes.JsonNode.Parse(fixedValue.GetRawText())));
        else value = Study.Sampler.SampleIndependent(Study, Snapshot(), name, distribution);
        distributions[name] = distribution;
        internals[name] = value;
        Study.Storage.SetParam(TrialId, name, distribution, value);
        return value;
    }
}
