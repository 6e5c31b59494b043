using System.Globalization;

namespace Unified.Tuning.Pruners;

/// <summary>
/// Asynchronous successive halving (Optuna's <c>SuccessiveHalvingPruner</c>, same defaults): rung r is reached at
/// step min_resource · η^(s + r); a trial reaching it records its value as <c>completed_rung_r</c> and goes on only
/// when it is in the top 1/η of the values recorded at that rung so far.
/// </summary>
public sealed class SuccessiveHalvingPruner : IPruner
{
    int? minResource;

    /// <summary>Creates the pruner.</summary>
    /// <param name="minResource">Steps before the first rung; null ("auto"): 1/100 of the longest complete trial's steps, at least 1.</param>
    /// <param name="reductionFactor">η: one in η trials is promoted at each rung (Optuna: 4).</param>
    /// <param name="minEarlyStoppingRate">s: the first rung is at min_resource · η^s (Optuna: 0).</param>
    /// <param name="bootstrapCount">Values a rung needs before any trial is promoted from it (Optuna: 0).</param>
    public SuccessiveHalvingPruner(int? minResource = null, int reductionFactor = 4, int minEarlyStoppingRate = 0, int bootstrapCount = 0)
    {
        if (minResource is < 1) throw new ArgumentOutOfRangeException(nameof(minResource), minResource, "minResource must be ≥ 1, or null for auto.");
        if (reductionFactor < 2) throw new ArgumentOutOfRangeException(nameof(reductionFactor), reductionFactor, "reductionFactor must be ≥ 2.");
        if (minEarlyStoppingRate < 0) throw new ArgumentOutOfRangeException(nameof(minEarlyStoppingRate), minEarlyStoppingRate, "minEarlyStoppingRate must be ≥ 0.");
        if (bootstrapCount < 0) throw new ArgumentOutOfRangeException(nameof(bootstrapCount), bootstrapCount, "bootstrapCount must be ≥ 0.");
        if (bootstrapCount > 0 && minResource is null)
            throw new ArgumentException("bootstrapCount > 0 needs an explicit minResource (auto estimates it from complete trials).");
        (this.minResource, ReductionFactor, MinEarlyStoppingRate, BootstrapCount) = (minResource, reductionFactor, minEarlyStoppingRate, bootstrapCount);
    }

    /// <summary>η.</summary>
    public int ReductionFactor { get; }

    /// <summary>s.</summary>
    public int MinEarlyStoppingRate { get; }

    /// <summary>Values needed at a rung before promotion.</summary>
    public int BootstrapCount { get; }

    /// <inheritdoc />
    public bool Prune(Study study, FrozenTrial trial) => Prune(study, trial, () => study.Trials);

    /// <summary>The rule over the competing <paramref name="trials"/> (Hyperband passes one bracket's).</summary>
    internal bool Prune(Study study, FrozenTrial trial, Func<IReadOnlyList<FrozenTrial>> trials)
    {
        if (trial.LastStep is not int step) return false;
        int rung = 0;
        while (trial.SystemAttrs.ContainsKey(RungKey(rung))) rung++;
        double value = trial.IntermediateValues[step];
        IReadOnlyList<FrozenTrial>? competitors = null;
        while (true)
        {
            if (minResource is null)
            {
                competitors ??= trials();
                var steps = competitors.Where(t => t.State == TrialState.Complete && t.LastStep is not null).Select(t => t.LastStep!.Value).ToList();
                if (steps.Count == 0) return false;
                minResource = Math.Max(steps.Max() / 100, 1);
            }
            long promotionStep = minResource.Value * (long)Math.Pow(ReductionFactor, MinEarlyStoppingRate + rung);
            if (step < promotionStep) return false;
            if (double.IsNaN(value)) return true;
            competitors ??= trials();
            string key = RungKey(rung);
            study.Storage.SetSystemAttr(trial.TrialId, key, value.ToString("R", CultureInfo.InvariantCulture));
            var competing = competitors.Where(t => t.SystemAttrs.ContainsKey(key)).Select(t => t.SystemAttrs[key].GetDouble()).Append(value).ToList();
            if (competing.Count <= BootstrapCount) return true;
            if (!Promotable(value, competing, study.Direction)) return true;
            rung++;
        }
    }

    bool Promotable(double value, List<double> competing, StudyDirection direction)
    {
        int index = Math.Max(competing.Count / ReductionFactor - 1, 0);
        competing.Sort();
        return direction == StudyDirection.Maximize ? value >= competing[^(index + 1)] : value <= competing[index];
    }

    static string RungKey(int rung) => "completed_rung_" + rung.ToString(CultureInfo.InvariantCulture);
}
