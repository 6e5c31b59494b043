namespace Unified.Core.Metrics;

/// <summary>How <see cref="ConfusionMatrix"/> scales its counts (scikit-learn's <c>normalize</c>); empty rows or columns give 0.</summary>
public enum ConfusionMatrixNormalization
{
    /// <summary>Raw counts.</summary>
    None,
    /// <summary>Each row (true class) sums to 1.</summary>
    True,
    /// <summary>Each column (predicted class) sums to 1.</summary>
    Pred,
    /// <summary>The whole matrix sums to 1.</summary>
    All,
}
