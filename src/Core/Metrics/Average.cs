namespace Unified.Core.Metrics;

/// <summary>How per-class scores combine into one number (scikit-learn's <c>average</c>).</summary>
public enum Average
{
    /// <summary>Count true/false positives over all classes first, then score once.</summary>
    Micro,
    /// <summary>The unweighted mean of the per-class scores.</summary>
    Macro,
    /// <summary>The mean of the per-class scores weighted by each class's support (its number of true samples).</summary>
    Weighted,
    /// <summary>No averaging: one score per class, from <see cref="Metric.ComputeTensor"/>.</summary>
    None,
}
