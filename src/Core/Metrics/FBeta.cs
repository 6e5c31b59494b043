using static TorchSharp.torch;

namespace Unified.Core.Metrics;

/// <summary>
/// The F-beta score, (1 + β²)·P·R / (β²·P + R), as scikit-learn's <c>fbeta_score</c>: β &lt; 1 favours precision,
/// β &gt; 1 recall; 0 where P and R are both 0. See <see cref="StatScoresMetric"/> for averaging and zero division.
/// </summary>
/// <example><code>new FBeta(0.5, ClassificationTask.Multilabel(5), Average.Micro)</code></example>
public class FBeta : StatScoresMetric
{
    /// <summary>An F-beta score.</summary>
    /// <param name="beta">The weight of recall, finite and at least 0 (0 gives precision where recall is not 0).</param>
    /// <param name="task">What is scored.</param>
    /// <param name="average">Multiclass/multilabel averaging (default macro); must be null for binary tasks.</param>
    /// <param name="zeroDivision">The precision or recall of a division by zero: 0 or 1.</param>
    public FBeta(double beta, ClassificationTask task, Average? average = null, double zeroDivision = 0)
        : base(task, average, zeroDivision)
    {
        if (!double.IsFinite(beta) || beta < 0)
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "beta must be finite and at least 0 (use Recall for an infinite beta).");
        Beta = beta;
    }

    /// <summary>The weight of recall.</summary>
    public double Beta { get; }

    private protected override Tensor Score(Tensor precision, Tensor recall)
    {
        double beta2 = Beta * Beta;
        var denominator = precision * beta2 + recall;
        return (1 + beta2) * precision * recall / where(denominator.eq(0), ones_like(denominator), denominator);
    }
}
