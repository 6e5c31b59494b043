using static TorchSharp.torch;

namespace Unified.Core.Metrics;

/// <summary>
/// Counts of (true class, predicted class) pairs, as scikit-learn's <c>confusion_matrix</c> with
/// <c>labels=range(C)</c>: C x C for multiclass, 2 x 2 for binary (rows true 0/1, columns predicted 0/1), and for
/// multilabel one 2 x 2 matrix per label, L x 2 x 2 ([[tn, fp], [fn, tp]]), as <c>multilabel_confusion_matrix</c>.
/// The result is a matrix: read it with <see cref="Metric.ComputeTensor"/>.
/// </summary>
/// <example><code>using var matrix = new ConfusionMatrix(ClassificationTask.Multiclass(10)).ComputeTensor();</code></example>
public sealed class ConfusionMatrix : ClassificationMetric
{
    readonly MetricState counts;

    /// <summary>A confusion matrix for <paramref name="task"/>.</summary>
    /// <param name="task">What is counted.</param>
    /// <param name="normalize">How counts are scaled (multiclass and binary only).</param>
    public ConfusionMatrix(ClassificationTask task, ConfusionMatrixNormalization normalize = ConfusionMatrixNormalization.None) : base(task)
    {
        if (!Enum.IsDefined(normalize))
            throw new ArgumentOutOfRangeException(nameof(normalize), normalize, "Unknown normalization; use None, True, Pred or All.");
        if (task.Kind == ClassificationKind.Multilabel && normalize != ConfusionMatrixNormalization.None)
            throw new ArgumentException("Multilabel confusion matrices hold raw counts per label; normalize them yourself.", nameof(normalize));
        Normalize = normalize;
        long c = task.Kind == ClassificationKind.Binary ? 2 : task.RequireClasses(Name);
        counts = AddState("counts", task.Kind == ClassificationKind.Multilabel ? [c, 2, 2] : [c, c]);
    }

    /// <summary>How counts are scaled.</summary>
    public ConfusionMatrixNormalization Normalize { get; }

    /// <inheritdoc />
    protected override void UpdateState(Tensor predictions, Tensor targets)
    {
        var input = Prepare(predictions, targets);
        var (p, t) = (input.Predicted.to_type(ScalarType.Int64), input.Target.to_type(ScalarType.Int64));
        Tensor cell;
        long cells;
        if (Task.Kind == ClassificationKind.Multilabel)
        {
            // Label l's cell (t, p) sits at l*4 + t*2 + p of the flattened L x 2 x 2 matrix.
            var label = arange(input.Classes, ScalarType.Int64, p.device).unsqueeze(0);
            cell = (label * 4 + t * 2 + p).flatten();
            cells = input.Classes * 4;
        }
        else
        {
            cell = t * input.Classes + p;
            cells = input.Classes * input.Classes;
        }
        var tally = StatScores.Tally(cell, ones(cell.shape[0], ScalarType.Float64, p.device), cells);
        counts.Add(tally.view(counts.ShapeArray));
    }

    /// <inheritdoc />
    protected internal override Tensor ComputeState()
    {
        var m = counts.Value;
        var total = Normalize switch
        {
            ConfusionMatrixNormalization.True => m.sum(dim: 1, keepdim: true),
            ConfusionMatrixNormalization.Pred => m.sum(dim: 0, keepdim: true),
            ConfusionMatrixNormalization.All => m.sum(),
            _ => null,
        };
        if (total is null) return m;
        return where(total.eq(0), zeros_like(m), m / where(total.eq(0), ones_like(total), total));
    }
}
