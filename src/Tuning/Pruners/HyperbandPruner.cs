using System.IO.Hashing;
using System.Text;

namespace Unified.Tuning.Pruners;

/// <summary>
/// Hyperband (Optuna's <c>HyperbandPruner</c>, same defaults): ⌊log_η(max/min)⌋ + 1 brackets of successive halving
/// with early-stopping rates 0, 1, …; a trial's bracket comes from CRC-32 of "STUDY_NUMBER" over the brackets'
/// budgets ⌈brackets · η^s / (s + 1)⌉, and it competes only with trials of its bracket. With max_resource "auto",
/// pruning starts once a trial has completed (max = its last step + 1).
/// </summary>
public sealed class HyperbandPruner : IPruner
{
    readonly Lock gate = new();
    readonly List<SuccessiveHalvingPruner> brackets = [];
    readonly List<int> budgets = [];
    int? maxResource;
    int totalBudget;

    /// <summary>Creates the pruner.</summary>
    /// <param name="minResource">Steps before the first rung of the most aggressive bracket (Optuna: 1).</param>
    /// <param name="maxResource">Steps of a full trial; null ("auto"): the first complete trial's last step + 1.</param>
    /// <param name="reductionFactor">η (Optuna: 3).</param>
    public HyperbandPruner(int minResource = 1, int? maxResource = null, int reductionFactor = 3)
    {
        if (minResource < 1) throw new ArgumentOutOfRangeException(nameof(minResource), minResource, "minResource must be ≥ 1.");
        if (maxResource is { } max && max < minResource) throw new ArgumentOutOfRangeException(nameof(maxResource), maxResource, "maxResource must be ≥ minResource.");
        if (reductionFactor < 2) throw new ArgumentOutOfRangeException(nameof(reductionFactor), reductionFactor, "reductionFactor must be ≥ 2.");
        (MinResource, this.maxResource, ReductionFactor) = (minResource, maxResource, reductionFactor);
    }

    /// <summary>Steps before the first rung.</summary>
    public int MinResource { get; }

    /// <summary>η.</summary>
    public int ReductionFactor { get; }

    /// <summary>The number of brackets, 0 until known.</summary>
    public int BracketCount => brackets.Count;

    /// <inheritdoc />
    public bool Prune(Study study, FrozenTrial trial)
    {
        lock (gate)
            if (brackets.Count == 0 && !TryInitialize(study)) return false;
        int bracket = BracketOf(study.Name, trial.Number);
        return brackets[bracket].Prune(study, trial, () => study.Trials.Where(t => BracketOf(study.Name, t.Number) == bracket).ToArray());
    }

    /// <summary>The bracket of trial <paramref name="number"/> in study <paramref name="studyName"/>.</summary>
    internal int BracketOf(string studyName, int number)
    {
        long n = Crc32.HashToUInt32(Encoding.UTF8.GetBytes($"{studyName}_{number}")) % (uint)totalBudget;
        for (int b = 0; b < budgets.Count; b++)
            if ((n -= budgets[b]) < 0) return b;
        throw new InvalidOperationException("unreachable: the budgets sum to the total");
    }

    bool TryInitialize(Study study)
    {
        if (maxResource is null)
        {
            var steps = study.GetTrials(TrialState.Complete).Where(t => t.LastStep is not null).Select(t => t.LastStep!.Value).ToList();
            if (steps.Count == 0) return false;
            maxResource = steps.Max() + 1;
        }
        int count = (int)Math.Floor(Math.Log((double)maxResource.Value / MinResource, ReductionFactor) + 1e-9) + 1;
        for (int b = 0; b < count; b++)
        {
            int s = count - 1 - b;
            int budget = (int)Math.Ceiling(count * Math.Pow(ReductionFactor, s) / (s + 1));
            budgets.Add(budget);
            totalBudget += budget;
            brackets.Add(new SuccessiveHalvingPruner(MinResource, ReductionFactor, b));
        }
        return true;
    }
}
