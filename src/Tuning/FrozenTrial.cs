using System.Text.Json;

namespace Unified.Tuning;

/// <summary>A trial as a storage holds it, a snapshot (Optuna's <c>FrozenTrial</c>).</summary>
public sealed record FrozenTrial
{
    /// <summary>The storage's id of the trial, unique across studies.</summary>
    public required long TrialId { get; init; }

    /// <summary>The trial's number in its study: 0, 1, 2, … allocated atomically, never reused.</summary>
    public required int Number { get; init; }

    /// <summary>Where the trial stands.</summary>
    public required TrialState State { get; init; }

    /// <summary>The objective value (for a pruned trial its last intermediate value); null while running or after a failure.</summary>
    public double? Value { get; init; }

    /// <summary>Each parameter's distribution.</summary>
    public IReadOnlyDictionary<string, ParameterDistribution> Distributions { get; init; } = new Dictionary<string, ParameterDistribution>();

    /// <summary>Each parameter's internal representation (what samplers model).</summary>
    public IReadOnlyDictionary<string, double> InternalParams { get; init; } = new Dictionary<string, double>();

    /// <summary>The values reported with <see cref="Trial.Report"/>, by step.</summary>
    public IReadOnlyDictionary<int, double> IntermediateValues { get; init; } = new SortedDictionary<int, double>();

    /// <summary>Attributes the objective set with <see cref="Trial.SetUserAttr"/>, as JSON.</summary>
    public IReadOnlyDictionary<string, JsonElement> UserAttrs { get; init; } = new Dictionary<string, JsonElement>();

    /// <summary>Attributes samplers, pruners and the study keep (e.g. <c>fixed_params</c>, <c>fail_reason</c>).</summary>
    public IReadOnlyDictionary<string, JsonElement> SystemAttrs { get; init; } = new Dictionary<string, JsonElement>();

    /// <summary>When a worker started the trial (UTC); null while waiting.</summary>
    public DateTime? DatetimeStart { get; init; }

    /// <summary>When the trial finished (UTC).</summary>
    public DateTime? DatetimeComplete { get; init; }

    /// <summary>The parameters' values as the objective received them.</summary>
    public IReadOnlyDictionary<string, object?> Params =>
        InternalParams.ToDictionary(p => p.Key, p => Distributions[p.Key].ToExternal(p.Value));

    /// <summary>The largest reported step, or null when nothing was reported.</summary>
    public int? LastStep => IntermediateValues.Count == 0 ? null : IntermediateValues.Keys.Max();

    /// <summary>Whether the trial has ended (complete, pruned or failed).</summary>
    public bool IsFinished => State is TrialState.Complete or TrialState.Pruned or TrialState.Fail;
}
