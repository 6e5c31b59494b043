using System.Globalization;
using static TorchSharp.torch;

namespace Unified.Core.Metrics;

/// <summary>
/// What a classification metric scores and how it reads predictions (torchmetrics' <c>task</c>, <c>num_classes</c>,
/// <c>threshold</c>). Shapes and dtypes are checked on every update; values out of range are counted on the device
/// and reported by the next compute.
/// </summary>
/// <example><code>new F1(ClassificationTask.Multiclass(10), Average.Macro)</code></example>
public sealed class ClassificationTask
{
    ClassificationTask(ClassificationKind kind, int? numClasses, double threshold)
    {
        Kind = kind;
        NumClasses = numClasses;
        Threshold = threshold;
    }

    /// <summary>The kind of problem.</summary>
    public ClassificationKind Kind { get; }

    /// <summary>Classes (multiclass), labels (multilabel) or 2 (binary); <c>null</c> when taken from each batch's score width.</summary>
    public int? NumClasses { get; }

    /// <summary>A probability above this is a positive prediction (binary and multilabel).</summary>
    public double Threshold { get; }

    /// <summary>
    /// Binary: predictions (any shape) are probabilities, positive when above <paramref name="threshold"/> (apply
    /// sigmoid to logits first), or 0/1 labels in an integer or bool dtype; targets are 0/1 of the same shape.
    /// </summary>
    public static ClassificationTask Binary(double threshold = 0.5) =>
        new(ClassificationKind.Binary, 2, CheckThreshold(threshold));

    /// <summary>
    /// Multiclass with <paramref name="numClasses"/> classes: predictions are N x C scores (logits or probabilities;
    /// the arg-max wins, the lowest index on ties) or N class indices; targets are N class indices.
    /// </summary>
    public static ClassificationTask Multiclass(int numClasses)
    {
        if (numClasses < 2)
            throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "A multiclass task needs at least 2 classes; use ClassificationTask.Binary() for one yes/no decision.");
        return new(ClassificationKind.Multiclass, numClasses, 0.5);
    }

    /// <summary>Multiclass with the number of classes taken from the width of each batch's N x C scores (accuracy only).</summary>
    public static ClassificationTask Multiclass() => new(ClassificationKind.Multiclass, null, 0.5);

    /// <summary>
    /// Multilabel with <paramref name="numLabels"/> labels: predictions are N x L probabilities, positive when above
    /// <paramref name="threshold"/>, or 0/1 labels; targets are N x L 0/1 labels.
    /// </summary>
    public static ClassificationTask Multilabel(int numLabels, double threshold = 0.5)
    {
        if (numLabels < 1)
            throw new ArgumentOutOfRangeException(nameof(numLabels), numLabels, "A multilabel task needs at least 1 label.");
        return new(ClassificationKind.Multilabel, numLabels, CheckThreshold(threshold));
    }

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        ClassificationKind.Binary => string.Create(CultureInfo.InvariantCulture, $"binary (threshold {Threshold})"),
        ClassificationKind.Multiclass => NumClasses is int c ? $"multiclass ({c} classes)" : "multiclass",
        _ => string.Create(CultureInfo.InvariantCulture, $"multilabel ({NumClasses} labels, threshold {Threshold})"),
    };

    /// <summary>The invalid predictions that updates count.</summary>
    internal string PredictionProblem => Kind == ClassificationKind.Multiclass
        ? $"predicted class indices outside [0, {NumClasses})"
        : "predictions that are neither probabilities in [0, 1] nor 0/1 labels (apply sigmoid to logits first)";

    /// <summary>The invalid targets that updates count.</summary>
    internal string TargetProblem => Kind == ClassificationKind.Multiclass
        ? NumClasses is int c ? $"target class indices outside [0, {c})" : "target class indices outside [0, C) of their batch's N x C scores"
        : "targets other than 0 and 1";

    /// <summary>The number of classes, or an error naming <paramref name="metric"/> when it is taken from the data.</summary>
    internal int RequireClasses(string metric) => NumClasses ?? throw new ArgumentException(
        $"{metric} needs the number of classes up front (its state has one entry per class); use ClassificationTask.Multiclass(numClasses).");

    /// <summary>Checks one batch and turns it into labels (see <see cref="ClassificationInput"/>).</summary>
    internal ClassificationInput Prepare(Tensor predictions, Tensor targets, string metric) => Kind switch
    {
        ClassificationKind.Binary => PrepareBinary(predictions, targets, metric),
        ClassificationKind.Multiclass => PrepareMulticlass(predictions, targets, metric),
        _ => PrepareMultilabel(predictions, targets, metric),
    };

    /// <summary>Checks a multiclass batch of N x C scores; returns the scores, the clamped targets and the bad-target mask.</summary>
    internal (Tensor Scores, Tensor Target, Tensor BadTargets) PrepareScores(Tensor predictions, Tensor targets, string metric)
    {
        CheckIndexTargets(targets, metric);
        if (!predictions.is_floating_point() || predictions.dim() != 2 || predictions.shape[0] != targets.shape[0])
            throw new ArgumentException($"{metric} needs N x C floating-point scores and N class indices; got predictions {Describe(predictions)} and targets {Describe(targets)}.", nameof(predictions));
        long classes = CheckWidth(predictions.shape[1], metric);
        var (target, bad) = ClampIndices(targets, classes);
        return (predictions, target, bad);
    }

    ClassificationInput PrepareBinary(Tensor predictions, Tensor targets, string metric)
    {
        CheckBinaryTargets(targets, metric);
        if (!predictions.shape.SequenceEqual(targets.shape))
            throw new ArgumentException($"{metric} ({this}) needs predictions and targets of the same shape; got predictions {Describe(predictions)} and targets {Describe(targets)}.", nameof(predictions));
        var (predicted, badPredictions) = Decide(predictions, metric);
        return new(predicted.flatten(), targets.eq(1).flatten(), badPredictions, BadBinary(targets), 2);
    }

    ClassificationInput PrepareMultilabel(Tensor predictions, Tensor targets, string metric)
    {
        CheckBinaryTargets(targets, metric);
        if (targets.dim() != 2 || targets.shape[1] != NumClasses || !predictions.shape.SequenceEqual(targets.shape))
            throw new ArgumentException($"{metric} ({this}) needs predictions and targets of shape N x {NumClasses}; got predictions {Describe(predictions)} and targets {Describe(targets)}.", nameof(predictions));
        var (predicted, badPredictions) = Decide(predictions, metric);
        return new(predicted, targets.eq(1), badPredictions, BadBinary(targets), NumClasses!.Value);
    }

    ClassificationInput PrepareMulticlass(Tensor predictions, Tensor targets, string metric)
    {
        CheckIndexTargets(targets, metric);
        long n = targets.shape[0];
        if (predictions.is_floating_point() && predictions.dim() == 2 && predictions.shape[0] == n)
        {
            long classes = CheckWidth(predictions.shape[1], metric);
            var (target, badTargets) = ClampIndices(targets, classes);
            return new(predictions.argmax(1), target, null, badTargets, classes);
        }
        if (IsIndexType(predictions.dtype) && predictions.dim() == 1 && predictions.shape[0] == n)
        {
            long classes = RequireClasses(metric + " with class-index predictions");
            var (predicted, badPredictions) = ClampIndices(predictions, classes);
            var (target, badTargets) = ClampIndices(targets, classes);
            return new(predicted, target, badPredictions, badTargets, classes);
        }
        throw new ArgumentException($"{metric} ({this}) needs N x C floating-point scores or N integer class indices as predictions, and N class indices as targets; got predictions {Describe(predictions)} and targets {Describe(targets)}.", nameof(predictions));
    }

    long CheckWidth(long width, string metric)
    {
        if (NumClasses is int c && width != c)
            throw new ArgumentException($"{metric} ({this}) got scores for {width} classes; the task has {c}. Set ClassificationTask.Multiclass({width}) or fix the model's output width.", "predictions");
        return width;
    }

    (Tensor Predicted, Tensor Bad) Decide(Tensor predictions, string metric)
    {
        if (predictions.is_floating_point())
        {
            // Compared in float64: torch would round the threshold to the predictions' dtype (0.3f is not above 0.3).
            var probabilities = predictions.to_type(ScalarType.Float64);
            return (probabilities.gt(Threshold), probabilities.ge(0).logical_and(probabilities.le(1)).logical_not());
        }
        if (IsIndexType(predictions.dtype) || predictions.dtype == ScalarType.Bool)
            return (predictions.eq(1), BadBinary(predictions));
        throw new ArgumentException($"{metric} ({this}) needs predictions as probabilities (floating point) or 0/1 labels (integer or bool); got {predictions.dtype}.", "predictions");
    }

    static Tensor BadBinary(Tensor labels) => labels.ne(0).logical_and(labels.ne(1));

    static (Tensor Index, Tensor Bad) ClampIndices(Tensor labels, long classes) =>
        (labels.clamp(0, classes - 1).to_type(ScalarType.Int64), labels.lt(0).logical_or(labels.ge(classes)));

    void CheckBinaryTargets(Tensor targets, string metric)
    {
        if (!IsIndexType(targets.dtype) && targets.dtype != ScalarType.Bool)
            throw new ArgumentException($"{metric} ({this}) needs targets as 0/1 labels in an integer or bool dtype; got {targets.dtype}. Convert them with .to_type(ScalarType.Int64).", nameof(targets));
    }

    void CheckIndexTargets(Tensor targets, string metric)
    {
        if (!IsIndexType(targets.dtype) || targets.dim() != 1)
            throw new ArgumentException($"{metric} ({this}) needs targets as N class indices in an integer dtype; got {Describe(targets)}. Convert one-hot targets with .argmax(1), floats with .to_type(ScalarType.Int64).", nameof(targets));
    }

    static bool IsIndexType(ScalarType dtype) =>
        dtype is ScalarType.Int64 or ScalarType.Int32 or ScalarType.Int16 or ScalarType.Int8 or ScalarType.Byte;

    internal static string Describe(Tensor t) => $"[{string.Join(", ", t.shape)}] {t.dtype}";

    static double CheckThreshold(double threshold) => threshold is >= 0 and <= 1
        ? threshold
        : throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The threshold is a probability and must lie in [0, 1].");
}
