namespace Unified.Tuning.Samplers;

/// <summary>
/// The Tree-structured Parzen Estimator (Optuna's <c>TPESampler</c>, univariate, with its defaults): after
/// <see cref="StartupTrials"/> random trials, the finished trials are split into the best γ(n) = min(⌈0.1 n⌉, 25)
/// ("below", complete ones by value, then pruned ones by how far they got) and the rest ("above", plus the running
/// trials: the constant liar); each gets a Parzen estimator l(x) and g(x), <see cref="EiCandidates"/> candidates are
/// drawn from l, and the one with the largest log l(x) − log g(x) wins. Observation weights are Optuna's
/// <c>default_weights</c> (flat below 25, a ramp from 1/n for older ones above).
/// </summary>
public sealed class TpeSampler : ISampler
{
    readonly Random rng;
    readonly RandomSampler startup;
    readonly Lock gate = new();

    /// <summary>Creates the sampler; the same <paramref name="seed"/> gives the same values for the same history.</summary>
    /// <param name="seed">Seed of the sampler's generator and of its start-up random sampler.</param>
    /// <param name="startupTrials">Random trials before TPE starts (Optuna: <c>n_startup_trials=10</c>).</param>
    /// <param name="eiCandidates">Candidates drawn from l(x) per suggestion (Optuna: <c>n_ei_candidates=24</c>).</param>
    /// <param name="priorWeight">Weight of the prior kernel (Optuna: 1.0).</param>
    /// <param name="constantLiar">Count running trials among the "above" ones, so that parallel workers spread out (Optuna: true).</param>
    public TpeSampler(int? seed = null, int startupTrials = 10, int eiCandidates = 24, double priorWeight = 1.0, bool constantLiar = true)
    {
        if (startupTrials < 0) throw new ArgumentOutOfRangeException(nameof(startupTrials), startupTrials, "startupTrials must be ≥ 0.");
        if (eiCandidates < 1) throw new ArgumentOutOfRangeException(nameof(eiCandidates), eiCandidates, "eiCandidates must be ≥ 1.");
        if (!(priorWeight >= 0)) throw new ArgumentOutOfRangeException(nameof(priorWeight), priorWeight, "priorWeight must be ≥ 0.");
        rng = seed is int s ? new Random(s) : new Random();
        startup = new RandomSampler(seed);
        (StartupTrials, EiCandidates, PriorWeight, ConstantLiar) = (startupTrials, eiCandidates, priorWeight, constantLiar);
    }

    /// <summary>Random trials before TPE starts.</summary>
    public int StartupTrials { get; }

    /// <summary>Candidates drawn per suggestion.</summary>
    public int EiCandidates { get; }

    /// <summary>Weight of the prior kernel.</summary>
    public double PriorWeight { get; }

    /// <summary>Whether running trials count as "above".</summary>
    public bool ConstantLiar { get; }

    /// <summary>Optuna's <c>default_gamma</c>: how many trials are "below".</summary>
    public static int Gamma(int n) => Math.Min((int)Math.Ceiling(0.1 * n), 25);

    /// <summary>Optuna's <c>default_weights</c>: flat up to 25 observations, older ones ramped down beyond.</summary>
    public static double[] DefaultWeights(int n)
    {
        if (n < 25) return Enumerable.Repeat(1.0, n).ToArray();
        int ramp = n - 25;
        var weights = new double[n];
        for (int i = 0; i < ramp; i++) weights[i] = ramp == 1 ? 1.0 / n : 1.0 / n + (1.0 - 1.0 / n) * i / (ramp - 1);
        for (int i = ramp; i < n; i++) weights[i] = 1.0;
        return weights;
    }

    /// <inheritdoc />
    public double SampleIndependent(Study study, FrozenTrial trial, string name, ParameterDistribution distribution)
    {
        var trials = study.Trials;
        int finished = trials.Count(t => t.State is TrialState.Complete or TrialState.Pruned);
        if (finished < StartupTrials) return startup.SampleIndependent(study, trial, name, distribution);

        var considered = trials.Where(t => t.Number != trial.Number
            && (t.State is TrialState.Complete or TrialState.Pruned || ConstantLiar && t.State == TrialState.Running)).ToList();
        int n = considered.Count(t => t.State != TrialState.Running);
        var (below, above) = Split(study.Direction, considered, Gamma(n));
        var lower = new ParzenEstimator(distribution, Observations(below, name), DefaultWeights, PriorWeight);
        var upper = new ParzenEstimator(distribution, Observations(above, name), DefaultWeights, PriorWeight);
        double[] candidates;
        lock (gate) candidates = lower.Sample(rng, EiCandidates);
        double best = candidates[0], bestScore = double.NegativeInfinity;
        foreach (double candidate in candidates)
        {
            double score = lower.LogPdf(candidate) - upper.LogPdf(candidate);
            if (score > bestScore) (best, bestScore) = (candidate, score);
        }
        return best;
    }

    // Only trials that have the parameter with the same kind of distribution inform it (Optuna's _get_internal_repr).
    static List<double> Observations(List<FrozenTrial> trials, string name) =>
        trials.Where(t => t.InternalParams.ContainsKey(name)).Select(t => t.InternalParams[name]).ToList();

    internal static (List<FrozenTrial> Below, List<FrozenTrial> Above) Split(StudyDirection direction, List<FrozenTrial> trials, int nBelow)
    {
        var complete = trials.Where(t => t.State == TrialState.Complete).ToList();
        var sortedComplete = direction == StudyDirection.Minimize
            ? complete.OrderBy(t => t.Value!.Value).ToList()
            : complete.OrderByDescending(t => t.Value!.Value).ToList();
        int fromComplete = Math.Min(nBelow, sortedComplete.Count);
        var below = sortedComplete.Take(fromComplete).ToList();
        var above = sortedComplete.Skip(fromComplete).ToList();
        // Pruned trials rank by the last step they reached (later is better), then by its value (Optuna's _get_pruned_trial_score).
        var pruned = trials.Where(t => t.State == TrialState.Pruned).OrderBy(t => PrunedScore(direction, t)).ToList();
        int fromPruned = Math.Min(Math.Max(0, nBelow - fromComplete), pruned.Count);
        below.AddRange(pruned.Take(fromPruned));
        above.AddRange(pruned.Skip(fromPruned));
        above.AddRange(trials.Where(t => t.State == TrialState.Running));
        return (below.OrderBy(t => t.Number).ToList(), above.OrderBy(t => t.Number).ToList());
    }

    static (double, double) PrunedScore(StudyDirection direction, FrozenTrial trial)
    {
        if (trial.LastStep is not int step) return (1, 0.0);
        double value = trial.IntermediateValues[step];
        if (double.IsNaN(value)) return (-step, double.PositiveInfinity);
        return (-step, direction == StudyDirection.Minimize ? value : -value);
    }
}
