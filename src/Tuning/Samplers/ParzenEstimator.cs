namespace Unified.Tuning.Samplers;

/// <summary>
/// One parameter's Parzen estimator, as Optuna's <c>_ParzenEstimator</c> (univariate): a mixture with one kernel per
/// observation plus a prior kernel. Numerical kernels are normals truncated to the (log-transformed, half-step
/// widened) range, centred on the observations, with widths from the distances to the neighbours (endpoints not
/// considered) clipped by the "magic clip" to [range / min(100, 1 + kernels), range]; the prior is centred on the
/// range with the range as width. Categorical kernels put 1 on the observed choice plus prior_weight / kernels on
/// every choice.
/// </summary>
internal sealed class ParzenEstimator
{
    readonly ParameterDistribution distribution;
    readonly double[] weights, mus = [], sigmas = [];
    readonly double[][] categoryWeights = [];
    readonly double low, high, step;
    readonly bool log;

    public ParzenEstimator(ParameterDistribution distribution, IReadOnlyList<double> observations, Func<int, double[]> weightsOf, double priorWeight)
    {
        this.distribution = distribution;
        int n = observations.Count;
        weights = n == 0 ? [1.0] : [.. weightsOf(n).Take(n), priorWeight];
        double total = weights.Sum();
        for (int i = 0; i < weights.Length; i++) weights[i] /= total;

        if (distribution is CategoricalDistribution c)
        {
            int choices = c.Choices.Count;
            if (n == 0)
            {
                categoryWeights = [Enumerable.Repeat(1.0 / choices, choices).ToArray()];
                return;
            }
            int kernels = n + 1;
            categoryWeights = new double[kernels][];
            for (int k = 0; k < kernels; k++)
            {
                var row = Enumerable.Repeat(priorWeight / kernels, choices).ToArray();
                if (k < n) row[(int)observations[k]] += 1;
                double sum = row.Sum();
                for (int j = 0; j < choices; j++) row[j] /= sum == 0 ? 1 : sum;
                categoryWeights[k] = row;
            }
            return;
        }

        (low, high, step, log) = distribution switch
        {
            FloatDistribution f => (f.Low, f.High, f.Step ?? 0, f.Log),
            IntDistribution i => ((double)i.Low, (double)i.High, (double)i.Step, i.Log),
            _ => throw new ArgumentException($"{distribution} is not supported."),
        };
        var (lo, hi) = Adapted();
        var observed = observations.Select(v => log ? Math.Log(v) : v).ToArray();
        var kernelSigmas = Sigmas(observed, lo, hi);
        mus = [.. observed, 0.5 * (lo + hi)];
        sigmas = [.. kernelSigmas, hi - lo];
    }

    // The range the kernels live in: widened by half a step for grids, then log-transformed.
    (double Low, double High) Adapted()
    {
        double lo = low - step / 2, hi = high + step / 2;
        return log ? (Math.Log(lo), Math.Log(hi)) : (lo, hi);
    }

    static double[] Sigmas(double[] mus, double lo, double hi)
    {
        int n = mus.Length;
        if (n == 0) return [];
        var order = Enumerable.Range(0, n).OrderBy(i => mus[i]).ToArray();
        var withEnds = new double[n + 2];
        withEnds[0] = lo;
        withEnds[^1] = hi;
        for (int i = 0; i < n; i++) withEnds[i + 1] = mus[order[i]];
        var sorted = new double[n];
        for (int i = 0; i < n; i++) sorted[i] = Math.Max(withEnds[i + 1] - withEnds[i], withEnds[i + 2] - withEnds[i + 1]);
        if (withEnds.Length >= 4)
        {
            sorted[0] = withEnds[2] - withEnds[1];
            sorted[^1] = withEnds[^2] - withEnds[^3];
        }
        double maxSigma = hi - lo, minSigma = (hi - lo) / Math.Min(100.0, 1.0 + (n + 1));
        var sigmas = new double[n];
        for (int i = 0; i < n; i++) sigmas[order[i]] = Math.Clamp(sorted[i], minSigma, maxSigma);
        return sigmas;
    }

    /// <summary>Draws <paramref name="count"/> internal values.</summary>
    public double[] Sample(Random rng, int count)
    {
        var result = new double[count];
        var (lo, hi) = distribution is CategoricalDistribution ? (0, 0) : Adapted();
        for (int s = 0; s < count; s++)
        {
            int k = Pick(rng, weights);
            if (distribution is CategoricalDistribution)
            {
                result[s] = Pick(rng, categoryWeights[k]);
                continue;
            }
            double z = Gaussian.SampleTruncated(rng, (lo - mus[k]) / sigmas[k], (hi - mus[k]) / sigmas[k]);
            double x = mus[k] + sigmas[k] * z;
            if (log) x = Math.Exp(x);
            if (step != 0) x = Math.Clamp(low + Math.Round((x - low) / step) * step, low, high);
            result[s] = distribution is FloatDistribution && step == 0 ? Math.Clamp(x, low, high) : x;
        }
        return result;
    }

    /// <summary>The mixture's log density (log probability for grids and choices) at an internal value.</summary>
    public double LogPdf(double x)
    {
        var terms = new double[weights.Length];
        if (distribution is CategoricalDistribution)
        {
            for (int k = 0; k < weights.Length; k++) terms[k] = Math.Log(weights[k]) + Math.Log(categoryWeights[k][(int)x]);
            return Gaussian.LogSumExp(terms);
        }
        var (lo, hi) = Adapted();
        for (int k = 0; k < weights.Length; k++)
        {
            double mu = mus[k], sigma = sigmas[k], a = (lo - mu) / sigma, b = (hi - mu) / sigma, term;
            if (step == 0)
                term = Gaussian.TruncatedLogPdf(((log ? Math.Log(x) : x) - mu) / sigma, a, b) - Math.Log(sigma);
            else
            {
                double left = x - step / 2, right = x + step / 2;
                if (log) (left, right) = (Math.Log(left), Math.Log(right));
                term = Gaussian.LogMass((left - mu) / sigma, (right - mu) / sigma) - Gaussian.LogMass(a, b);
            }
            terms[k] = Math.Log(weights[k]) + term;
        }
        return Gaussian.LogSumExp(terms);
    }

    static int Pick(Random rng, double[] probabilities)
    {
        double u = rng.NextDouble(), cumulative = 0;
        for (int i = 0; i < probabilities.Length - 1; i++)
            if (u < (cumulative += probabilities[i])) return i;
        return probabilities.Length - 1;
    }
}
