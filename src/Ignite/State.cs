using Unified.Core.Data;

namespace Unified.Ignite;

/// <summary>
/// The engine's state, as Ignite's <c>engine.state</c>: 1-based counters, the run's limits, the current batch and
/// output, metrics of any type, times, the seed and a bag for whatever handlers share.
/// </summary>
public sealed class State
{
    /// <summary>Iterations run in total, 1-based while running.</summary>
    public long Iteration { get; internal set; }

    /// <summary>Current epoch, 1-based while running.</summary>
    public int Epoch { get; internal set; }

    /// <summary>Epochs this run goes to; null when the run is bounded by <see cref="MaxIters"/>. Set it to null to make the next run start over.</summary>
    public int? MaxEpochs { get; set; }

    /// <summary>Iterations this run goes to; null when the run is bounded by <see cref="MaxEpochs"/>. Set it to null to make the next run start over.</summary>
    public long? MaxIters { get; set; }

    /// <summary>Iterations per epoch; null until the first pass over data without a length ends.</summary>
    public int? EpochLength { get; internal set; }

    /// <summary>Iteration within the current epoch, 1-based while running.</summary>
    public int EpochIteration { get; internal set; }

    /// <summary>The current batch; valid until the next batch is fetched or the run ends.</summary>
    public Batch? Batch { get; internal set; }

    /// <summary>What the process function returned for the current batch; valid until the next batch is fetched or the run ends.</summary>
    public object? Output { get; internal set; }

    /// <summary>Computed metrics by name, of any type: numbers, tensors, dictionaries (e.g. per-class F1), confusion matrices.</summary>
    public Dictionary<string, object> Metrics { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Seconds taken, as Ignite's <c>state.times</c>: <c>EPOCH_COMPLETED</c> (the last epoch, handlers included) and
    /// <c>COMPLETED</c> (the whole run).
    /// </summary>
    public Dictionary<string, double> Times { get; } = new(StringComparer.Ordinal);

    /// <summary>The seed the run's data order was drawn from, when the caller sets one (Ignite's <c>state.seed</c>).</summary>
    public long? Seed { get; set; }

    /// <summary>Anything handlers share (Ignite lets handlers add attributes to the state); custom event counters live here.</summary>
    public Dictionary<string, object> Extras { get; } = new(StringComparer.Ordinal);

    /// <summary>Seconds the last epoch took (<c>Times["EPOCH_COMPLETED"]</c>).</summary>
    public double EpochSeconds => Times.GetValueOrDefault("EPOCH_COMPLETED");

    /// <summary>Seconds the run took (<c>Times["COMPLETED"]</c>).</summary>
    public double RunSeconds => Times.GetValueOrDefault("COMPLETED");

    /// <summary>The metric <paramref name="name"/> as a number (a double, float, integer or one-element tensor).</summary>
    /// <exception cref="KeyNotFoundException">No metric has that name (yet).</exception>
    /// <exception cref="InvalidCastException">The metric is not a number.</exception>
    public double Metric(string name) => Metrics.TryGetValue(name, out var value)
        ? MetricValues.ToDouble(name, value)
        : throw new KeyNotFoundException($"State.Metrics has no '{name}' (has: {string.Join(", ", Metrics.Keys)}); attach the metric or read it after the event that computes it.");

    /// <summary>The metrics that are numbers (what experiment loggers record); tensors of several elements, dictionaries and other values are left out.</summary>
    public Dictionary<string, double> ScalarMetrics()
    {
        var scalars = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, value) in Metrics)
            if (MetricValues.IsScalar(value)) scalars[name] = MetricValues.ToDouble(name, value);
        return scalars;
    }

    /// <summary>The value of the counter named <paramref name="name"/>: <c>iteration</c>, <c>epoch</c>, or an entry of <see cref="Extras"/> (0 when absent).</summary>
    public long Counter(string name) => name switch
    {
        "iteration" => Iteration,
        "epoch" => Epoch,
        _ => Extras.TryGetValue(name, out var v) ? Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture) : 0,
    };
}
