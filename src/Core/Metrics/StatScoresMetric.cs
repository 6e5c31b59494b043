using static TorchSharp.torch;

namespace Unified.Core.Metrics;

/// <summary>
/// A score built from per-class precision and recall (precision, recall, F-beta), as scikit-learn's
/// <c>precision_recall_fscore_support</c> with <c>labels=range(C)</c>: state is per-class true-positive,
/// predicted-positive and actual-positive counts.
/// </summary>
/// <remarks>
/// <para>Binary tasks score the positive class (scikit-learn's <c>average='binary'</c>). Multiclass and multilabel
/// tasks average with <see cref="Metrics.Average"/>: micro (counts summed first), macro, weighted (by support), or
/// none (a tensor with one score per class).</para>
/// <para>Zero division: a precision with no predicted positives, or a recall with no actual positives, is
/// <see cref="ZeroDivision"/> (0 by default, as scikit-learn's default <c>zero_division="warn"</c> without the
/// warning; or 1). A class that never occurs in predictions or targets therefore scores <see cref="ZeroDivision"/>
/// and still counts in the macro average; the F-score is computed from those substituted values. A weighted
/// average with no support at all is <see cref="ZeroDivision"/> for recall, and for precision and F-scores
/// <see cref="ZeroDivision"/> if nothing was predicted positive, else 0 (scikit-learn 1.2).</para>
/// </remarks>
public abstract class StatScoresMetric : ClassificationMetric
{
    readonly MetricState truePositives, predicted, actual;

    private protected StatScoresMetric(ClassificationTask task, Average? average, double zeroDivision) : base(task)
    {
        if (task.Kind == ClassificationKind.Binary && average is not null)
            throw new ArgumentException($"{Name}: a binary task scores the positive class and takes no average; to average over both classes use ClassificationTask.Multiclass(2).", nameof(average));
        if (average is Average a) Averages.Validate(a, nameof(average));
        if (zeroDivision is not (0 or 1))
            throw new ArgumentOutOfRangeException(nameof(zeroDivision), zeroDivision, "zeroDivision must be 0 or 1 (scikit-learn's zero_division).");
        Average = task.Kind == ClassificationKind.Binary ? null : average ?? Metrics.Average.Macro;
        ZeroDivision = zeroDivision;
        long k = ScoredClasses;
        truePositives = AddState("true_positives", [k]);
        predicted = AddState("predicted_positives", [k]);
        actual = AddState("actual_positives", [k]);
    }

    /// <summary>How per-class scores combine; <c>null</c> for a binary task (the positive class).</summary>
    public Average? Average { get; }

    /// <summary>The score of a division by zero: 0 or 1.</summary>
    public double ZeroDivision { get; }

    /// <inheritdoc />
    protected override void UpdateState(Tensor predictions, Tensor targets)
    {
        var (tp, pp, ap) = StatScores.Count(Prepare(predictions, targets), Task.Kind);
        truePositives.Add(tp);
        predicted.Add(pp);
        actual.Add(ap);
    }

    /// <inheritdoc />
    protected internal override Tensor ComputeState()
    {
        Tensor tp = truePositives.Value, pp = predicted.Value, ap = actual.Value;
        if (Average is null or Metrics.Average.Micro)
            return Score(tp.sum(), pp.sum(), ap.sum());
        var perClass = Score(tp, pp, ap);
        switch (Average)
        {
            case Metrics.Average.Macro:
                return perClass.mean();
            case Metrics.Average.Weighted:
                var support = ap.sum();
                var weighted = (perClass * ap).sum() / support;
                // scikit-learn's answer when no class has support: precision as if undefined only when nothing was predicted.
                var precision = where(pp.sum().eq(0), full_like(support, ZeroDivision), zeros_like(support));
                var noSupport = Score(precision, full_like(support, ZeroDivision));
                return where(support.eq(0), noSupport, weighted);
            default:
                return perClass;
        }
    }

    Tensor Score(Tensor tp, Tensor pp, Tensor ap) =>
        Score(StatScores.Divide(tp, pp, ZeroDivision), StatScores.Divide(tp, ap, ZeroDivision));

    /// <summary>The score from precision and recall (element-wise; zero divisions already substituted).</summary>
    private protected abstract Tensor Score(Tensor precision, Tensor recall);
}
