using static TorchSharp.torch;

namespace Unified.Core.Metrics;

/// <summary>Precision, tp / (tp + fp), as scikit-learn's <c>precision_score</c> (see <see cref="StatScoresMetric"/> for averaging and zero division).</summary>
/// <example><code>new Precision(ClassificationTask.Multiclass(10), Average.Weighted)</code></example>
/// <param name="task">What is scored.</param>
/// <param name="average">Multiclass/multilabel averaging (default macro); must be null for binary tasks.</param>
/// <param name="zeroDivision">The score when nothing was predicted positive: 0 or 1.</param>
public sealed class Precision(ClassificationTask task, Average? average = null, double zeroDivision = 0)
    : StatScoresMetric(task, average, zeroDivision)
{
    private protected override Tensor Score(Tensor precision, Tensor recall) => precision;
}
