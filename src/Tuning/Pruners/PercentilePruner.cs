namespace Unified.Tuning.Pruners;

/// <summary>
/// Prunes a trial whose best intermediate value so far is worse than the given percentile of the complete trials'
/// values at the same step (Optuna's <c>PercentilePruner</c>, same defaults and checks).
/// </summary>
public class PercentilePruner : IPruner
{
    /// <summary>Creates the pruner.</summary>
    /// <param name="percentile">Percentile in [0, 100] that a trial must reach to go on (25: keep the top quarter).</param>
    /// <param name="startupTrials">No pruning until this many trials have completed (Optuna: 5).</param>
    /// <param name="warmupSteps">No pruning before this step (Optuna: 0).</param>
    /// <param name="intervalSteps">Steps between checks, offset by the warm-up (Optuna: 1).</param>
    /// <param name="minTrials">Values that must exist at a step to judge it (Optuna: 1).</param>
    public PercentilePruner(double percentile, int startupTrials = 5, int warmupSteps = 0, int intervalSteps = 1, int minTrials = 1)
    {
        if (!(percentile is >= 0 and <= 100)) throw new ArgumentOutOfRangeException(nameof(percentile), percentile, "percentile must be in [0, 100].");
        if (startupTrials < 0) throw new ArgumentOutOfRangeException(nameof(startupTrials), startupTrials, "startupTrials must be ≥ 0.");
        if (warmupSteps < 0) throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps, "warmupSteps must be ≥ 0.");
        if (intervalSteps < 1) throw new ArgumentOutOfRangeException(nameof(intervalSteps), intervalSteps, "intervalSteps must be ≥ 1.");
        if (minTrials < 1) throw new ArgumentOutOfRangeException(nameof(minTrials), minTrials, "minTrials must be ≥ 1.");
        (Percentile, StartupTrials, WarmupSteps, IntervalSteps, MinTrials) = (percentile, startupTrials, warmupSteps, intervalSteps, minTrials);
    }

    /// <summary>The percentile a trial must reach.</summary>
    public double Percentile { get; }

    /// <summary>Complete trials before pruning starts.</summary>
    public int StartupTrials { get; }

    /// <summary>Steps before pruning starts.</summary>
    public int WarmupSteps { get; }

    /// <summary>Steps between checks.</summary>
    public int IntervalSteps { get; }

    /// <summary>Values needed at a step.</summary>
    public int MinTrials { get; }

    /// <inheritdoc />
    public bool Prune(Study study, FrozenTrial trial)
    {
        var complete = study.GetTrials(TrialState.Complete);
        if (complete.Count == 0 || complete.Count < StartupTrials) return false;
        if (trial.LastStep is not int step || step < WarmupSteps) return false;
        if (!FirstInInterval(step, trial.IntermediateValues.Keys, WarmupSteps, IntervalSteps)) return false;
        bool maximize = study.Direction == StudyDirection.Maximize;
        var own = trial.IntermediateValues.Values.Where(v => !double.IsNaN(v)).ToArray();
        if (own.Length == 0) return true;
        double best = maximize ? own.Max() : own.Min();
        var atStep = complete.Where(t => t.IntermediateValues.ContainsKey(step)).Select(t => t.IntermediateValues[step]).ToList();
        if (atStep.Count < MinTrials) return false;
        double p = NanPercentile(atStep, maximize ? 100 - Percentile : Percentile);
        if (double.IsNaN(p)) return false;
        return maximize ? best < p : best > p;
    }

    // Optuna's _is_first_in_interval_step: a check is due when no earlier report fell in the current interval.
    static bool FirstInInterval(int step, IEnumerable<int> steps, int warmup, int interval)
    {
        int nearestLower = (step - warmup) / interval * interval + warmup;
        int secondLast = steps.Where(s => s != step).DefaultIfEmpty(-1).Max();
        return secondLast < nearestLower;
    }

    /// <summary>numpy's <c>nanpercentile</c> with linear interpolation.</summary>
    internal static double NanPercentile(IEnumerable<double> values, double percentile)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        double rank = percentile / 100 * (sorted.Length - 1);
        int lower = (int)Math.Floor(rank), upper = Math.Min(lower + 1, sorted.Length - 1);
        return sorted[lower] + (rank - lower) * (sorted[upper] - sorted[lower]);
    }
}
