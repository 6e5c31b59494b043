using System.Text.Json;
using System.Text.Json.Nodes;

namespace Unified.Cli.Evaluate;

/// <summary>The result of <c>unified validate|test|predict</c>; <see cref="ToJson"/> puts the metrics at the top level, as fit's keys.</summary>
/// <param name="Command">validate, test or predict.</param>
/// <param name="Framework">The front-end that ran it.</param>
/// <param name="Model">The model evaluated.</param>
/// <param name="Checkpoint">The checkpoint its weights came from.</param>
/// <param name="Metrics">e.g. <c>val_loss</c>, <c>val_accuracy</c> (predict: <c>predict_accuracy</c> against the split's labels).</param>
/// <param name="Samples">Samples evaluated.</param>
/// <param name="Seconds">Wall time of the evaluation.</param>
/// <param name="PeakRssMb">Peak resident memory of the process.</param>
/// <param name="Output">The predictions file (predict only).</param>
public sealed record EvaluateReport(string Command, string Framework, string Model, string Checkpoint, IReadOnlyDictionary<string, double> Metrics,
    int Samples, double Seconds, double PeakRssMb, string? Output)
{
    /// <summary>One line of JSON.</summary>
    public string ToJson()
    {
        var json = new JsonObject { ["command"] = Command, ["framework"] = Framework, ["model"] = Model, ["checkpoint"] = Checkpoint };
        foreach (var (name, value) in Metrics.OrderBy(m => m.Key, StringComparer.Ordinal)) json[name] = double.IsFinite(value) ? value : null;
        json["samples"] = Samples;
        json["seconds"] = Math.Round(Seconds, 3);
        json["peak_rss_mb"] = Math.Round(PeakRssMb, 1);
        if (Output is not null) json["output"] = Output;
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Command} ({Framework}, {Model}, {Samples} samples): " +
        string.Join(", ", Metrics.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => $"{m.Key} {m.Value:F4}")) +
        (Output is null ? "" : $"; predictions in {Output}");
}
