namespace Unified.Tuning.Samplers;

/// <summary>
/// The standard normal's functions the truncated-normal kernels need, accurate in the tails (Optuna's
/// <c>_truncnorm</c>): the complementary error function in log form (Numerical Recipes' <c>erfcc</c>, relative error
/// below 1.2e-7 everywhere), log probability masses of intervals, and the quantile function (Acklam's algorithm).
/// </summary>
internal static class Gaussian
{
    static readonly double LogHalf = Math.Log(0.5), LogSqrt2Pi = 0.5 * Math.Log(2 * Math.PI);

    /// <summary>log(erfc(x)), finite for large x.</summary>
    public static double LogErfc(double x)
    {
        double z = Math.Abs(x), t = 1 / (1 + 0.5 * z);
        double exponent = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
            + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
        return x >= 0 ? Math.Log(t) + exponent : Math.Log(2 - t * Math.Exp(exponent));
    }

    /// <summary>erfc(x).</summary>
    public static double Erfc(double x) => Math.Exp(LogErfc(x));

    /// <summary>The standard normal CDF.</summary>
    public static double Cdf(double z) => 0.5 * Erfc(-z / Math.Sqrt(2));

    /// <summary>log(Φ(b) − Φ(a)) for a ≤ b, without cancellation in either tail.</summary>
    public static double LogMass(double a, double b)
    {
        if (a >= 0) return LogHalf + LogDiff(LogErfc(a / Math.Sqrt(2)), LogErfc(b / Math.Sqrt(2)));
        if (b <= 0) return LogMass(-b, -a);
        return Math.Log(Math.Max(1 - Cdf(a) - 0.5 * Erfc(b / Math.Sqrt(2)), double.Epsilon));
    }

    /// <summary>log density of the standard normal, truncated to [a, b], at z.</summary>
    public static double TruncatedLogPdf(double z, double a, double b) =>
        z < a || z > b ? double.NegativeInfinity : -0.5 * z * z - LogSqrt2Pi - LogMass(a, b);

    /// <summary>A draw of the standard normal truncated to [a, b] (inverse CDF, from the nearer tail).</summary>
    public static double SampleTruncated(Random rng, double a, double b)
    {
        double u = rng.NextDouble();
        if (a >= 0)
        {
            double qa = 0.5 * Erfc(a / Math.Sqrt(2)), qb = 0.5 * Erfc(b / Math.Sqrt(2));
            return Math.Clamp(-Quantile(qb + u * (qa - qb)), a, b);
        }
        double pa = Cdf(a), pb = Cdf(b);
        return Math.Clamp(Quantile(pa + u * (pb - pa)), a, b);
    }

    /// <summary>Φ⁻¹(p) by Acklam's rational approximation (relative error below 1.2e-9).</summary>
    public static double Quantile(double p)
    {
        if (p <= 0) return double.NegativeInfinity;
        if (p >= 1) return double.PositiveInfinity;
        const double pLow = 0.02425;
        if (p < pLow)
        {
            double q = Math.Sqrt(-2 * Math.Log(p));
            return (((((-7.784894002430293e-03 * q - 3.223964580411365e-01) * q - 2.400758277161838e+00) * q - 2.549732539343734e+00) * q
                + 4.374664141464968e+00) * q + 2.938163982698783e+00) / ((((7.784695709041462e-03 * q + 3.224671290700398e-01) * q
                + 2.445134137142996e+00) * q + 3.754408661907416e+00) * q + 1);
        }
        if (p > 1 - pLow) return -Quantile(1 - p);
        double r = p - 0.5, s = r * r;
        return (((((-3.969683028665376e+01 * s + 2.209460984245205e+02) * s - 2.759285104469687e+02) * s + 1.383577518672690e+02) * s
            - 3.066479806614716e+01) * s + 2.506628277459239e+00) * r / (((((-5.447609879822406e+01 * s + 1.615858368580409e+02) * s
            - 1.556989798598866e+02) * s + 6.680131188771972e+01) * s - 1.328068155288572e+01) * s + 1);
    }

    /// <summary>log(exp(la) − exp(lb)) for la ≥ lb.</summary>
    static double LogDiff(double la, double lb) => la + Math.Log(Math.Max(-double.ExpM1(lb - la), double.Epsilon));

    /// <summary>log Σ exp(values), stable.</summary>
    public static double LogSumExp(ReadOnlySpan<double> values)
    {
        double max = double.NegativeInfinity;
        foreach (double v in values) max = Math.Max(max, v);
        if (double.IsNegativeInfinity(max)) return max;
        double sum = 0;
        foreach (double v in values) sum += Math.Exp(v - max);
        return max + Math.Log(sum);
    }
}
