namespace Unified.Core.Metrics;

/// <summary>The F1 score, the harmonic mean of precision and recall (<see cref="FBeta"/> with β = 1), as scikit-learn's <c>f1_score</c>.</summary>
/// <example><code>new F1(ClassificationTask.Multiclass(10), Average.Macro)</code></example>
/// <param name="task">What is scored.</param>
/// <param name="average">Multiclass/multilabel averaging (default macro); must be null for binary tasks.</param>
/// <param name="zeroDivision">The precision or recall of a division by zero: 0 or 1.</param>
public sealed class F1(ClassificationTask task, Average? average = null, double zeroDivision = 0)
    : FBeta(1, task, average, zeroDivision);
