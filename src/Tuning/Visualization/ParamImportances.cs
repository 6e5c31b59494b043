namespace Unified.Tuning.Visualization;

/// <summary>
/// How much each parameter explains the objective, from the complete trials: a rank-based measure, not Optuna's
/// default fANOVA (a random forest of its own). Every value is replaced by its rank (ties averaged), then a numeric
/// parameter's importance is ρ², the square of Spearman's rank correlation between its values and the objective's,
/// and a categorical parameter's is η², the share of the objective ranks' variance that lies between its choices (the
/// effect size behind the Kruskal–Wallis test). Both are "the share of the objective's rank variance the parameter
/// explains", in [0, 1]; like Optuna's <c>get_param_importances</c> they are then normalised to sum to 1 (all zero
/// when no parameter explains anything). A monotone effect is found whatever its scale; a non-monotone one of a
/// numeric parameter (a bowl with the optimum inside the range) is under-rated, which is the price of the simplicity.
/// </summary>
/// <example><code>
/// foreach (var (name, importance) in ParamImportances.Evaluate(study)) Console.WriteLine($"{name}: {importance:F2}");
/// </code></example>
public static class ParamImportances
{
    /// <summary>
    /// The importances of the parameters that every complete trial has, largest first, summing to 1 (or all 0).
    /// </summary>
    /// <exception cref="InvalidOperationException">Fewer than two complete trials, or no parameter they share.</exception>
    public static IReadOnlyList<KeyValuePair<string, double>> Evaluate(Study study)
    {
        ArgumentNullException.ThrowIfNull(study);
        return Evaluate(study.GetTrials(TrialState.Complete));
    }

    /// <inheritdoc cref="Evaluate(Study)"/>
    public static IReadOnlyList<KeyValuePair<string, double>> Evaluate(IReadOnlyList<FrozenTrial> trials)
    {
        ArgumentNullException.ThrowIfNull(trials);
        var complete = trials.Where(t => t.State == TrialState.Complete && t.Value is not null).ToArray();
        if (complete.Length < 2)
            throw new InvalidOperationException($"Parameter importances need at least two complete trials; the study has {complete.Length}: run more trials.");
        // The intersection search space, as Optuna's importance evaluators use: parameters every trial has, with one distribution.
        var names = complete[0].Distributions.Keys
            .Where(name => complete.All(t => t.Distributions.TryGetValue(name, out var d) && d.Equals(complete[0].Distributions[name])))
            .Order(StringComparer.Ordinal).ToArray();
        if (names.Length == 0) throw new InvalidOperationException("The complete trials share no parameter: there is nothing to rate.");
        double[] objective = Ranks(complete.Select(t => t.Value!.Value).ToArray());
        var raw = names.ToDictionary(name => name, name =>
        {
            double[] values = complete.Select(t => t.InternalParams[name]).ToArray();
            return complete[0].Distributions[name] is CategoricalDistribution ? EtaSquared(values, objective) : Square(Pearson(Ranks(values), objective));
        });
        double total = raw.Values.Sum();
        return raw.Select(p => KeyValuePair.Create(p.Key, total > 0 ? p.Value / total : 0))
            .OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).ToArray();
    }

    /// <summary>1-based ranks, ties sharing their average rank (as <c>scipy.stats.rankdata</c>).</summary>
    internal static double[] Ranks(double[] values)
    {
        int[] order = Enumerable.Range(0, values.Length).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Length];
        for (int start = 0; start < order.Length;)
        {
            int end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]]) end++;
            double average = (start + end) / 2.0 + 1;
            for (int k = start; k <= end; k++) ranks[order[k]] = average;
            start = end + 1;
        }
        return ranks;
    }

    // Pearson's correlation; 0 when either side is constant (it explains nothing, or there is nothing to explain).
    static double Pearson(double[] x, double[] y)
    {
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxx == 0 || syy == 0 ? 0 : sxy / Math.Sqrt(sxx * syy);
    }

    static double Square(double x) => x * x;

    // Between-choice sum of squares over the total, of the objective's ranks.
    static double EtaSquared(double[] choices, double[] objective)
    {
        double mean = objective.Average();
        double total = objective.Sum(v => (v - mean) * (v - mean));
        if (total == 0) return 0;
        double between = choices.Zip(objective).GroupBy(p => p.First)
            .Sum(g => g.Count() * Square(g.Average(p => p.Second) - mean));
        return between / total;
    }
}
