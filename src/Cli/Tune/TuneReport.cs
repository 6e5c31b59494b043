using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Unified.Tuning;

namespace Unified.Cli.Tune;

/// <summary>
/// The result of <c>unified tune</c>, printed as the last line with <c>--json</c>: <c>study</c>, <c>trials</c> (each
/// <c>{number, state, value, params, epochs}</c>, every trial of the study, other workers' too), <c>best</c>
/// <c>{number, value, params}</c>, and the epochs this process trained against its budget (trials × epochs).
/// </summary>
public sealed record TuneReport(string Study, string Direction, string Monitor, string Storage, IReadOnlyList<FrozenTrial> Trials, FrozenTrial Best,
    int EpochsTrained, int EpochBudget, IReadOnlyList<string> Plots, double Seconds)
{
    /// <summary>One line of JSON.</summary>
    public string ToJson() => new JsonObject
    {
        ["study"] = Study,
        ["direction"] = Direction,
        ["monitor"] = Monitor,
        ["storage"] = Storage,
        ["trials"] = new JsonArray(Trials.Select(t => (JsonNode)new JsonObject
        {
            ["number"] = t.Number,
            ["state"] = StateName(t.State),
            ["value"] = t.Value,
            ["params"] = Params(t),
            ["epochs"] = t.IntermediateValues.Count,
        }).ToArray()),
        ["best"] = new JsonObject { ["number"] = Best.Number, ["value"] = Best.Value, ["params"] = Params(Best) },
        ["epochs_trained"] = EpochsTrained,
        ["epoch_budget"] = EpochBudget,
        ["plots"] = new JsonArray(Plots.Select(p => (JsonNode)JsonValue.Create(p)!).ToArray()),
        ["seconds"] = Math.Round(Seconds, 3),
    }.ToJsonString(new JsonSerializerOptions { WriteIndented = false });

    /// <summary>One human-readable line about the best trial.</summary>
    public override string ToString() =>
        $"best trial {Best.Number}: {Monitor} {Format(Best.Value)} with {Describe(Best)} " +
        $"({Trials.Count} trials in study '{Study}'; this run trained {EpochsTrained} of {EpochBudget} epochs, {Seconds:F1} s)";

    /// <summary>A trial's parameters as <c>name value</c> pairs.</summary>
    public static string Describe(FrozenTrial trial) =>
        string.Join(", ", trial.Params.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {Format(p.Value)}"));

    /// <summary>Optuna's spelling of a state (<c>COMPLETE</c>, <c>PRUNED</c>, <c>FAIL</c>, <c>RUNNING</c>, <c>WAITING</c>).</summary>
    public static string StateName(TrialState state) => state.ToString().ToUpperInvariant();

    static JsonObject Params(FrozenTrial trial)
    {
        var json = new JsonObject();
        foreach (var (name, value) in trial.Params.OrderBy(p => p.Key, StringComparer.Ordinal))
            json[name] = value is null ? null : JsonSerializer.SerializeToNode(value);
        return json;
    }

    static string Format(object? value) => value switch
    {
        double d => d.ToString("G4", CultureInfo.InvariantCulture),
        null => "none",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}
