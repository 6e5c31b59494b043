using static TorchSharp.torch;

namespace Unified.Core.Metrics;

/// <summary>Recall, tp / (tp + fn), as scikit-learn's <c>recall_score</c> (see <see cref="StatScoresMetric"/> for averaging and zero division).</summary>
/// <example><code>new Recall(ClassificationTask.Binary(threshold: 0.3))</code></example>
/// <param name="task">What is scored.</param>
/// <param name="average">Multiclass/multilabel averaging (default macro); must be null for binary tasks.</param>
/// <param name="zeroDivision">The score when a class has no actual positives: 0 or 1.</param>
public sealed class Recall(ClassificationTask task, Average? average = null, double zeroDivision = 0)
    : StatScoresMetric(task, average, zeroDivision)
{
    private protected override Tensor Score(Tensor precision, Tensor recall) => recall;
}
