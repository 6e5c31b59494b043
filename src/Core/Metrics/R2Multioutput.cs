namespace Unified.Core.Metrics;

/// <summary>How <see cref="R2Score"/> combines several outputs (scikit-learn's <c>multioutput</c>).</summary>
public enum R2Multioutput
{
    /// <summary>The plain mean of the per-output scores.</summary>
    UniformAverage,
    /// <summary>The mean weighted by each output's total sum of squares (uniform when all are 0).</summary>
    VarianceWeighted,
    /// <summary>One score per output, from <see cref="Metric.ComputeTensor"/>.</summary>
    RawValues,
}
