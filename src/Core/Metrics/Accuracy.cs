using static TorchSharp.torch;

namespace Unified.Core.Metrics;

/// <summary>
/// The share of correctly classified samples, as scikit-learn's <c>accuracy_score</c> and
/// <c>top_k_accuracy_score</c>: binary (thresholded probabilities or 0/1 labels; every element counts), multiclass
/// (arg-max of N x C scores, or class indices), top-k (the target among the k highest scores), and multilabel
/// (subset accuracy: a sample counts only when all its labels are right).
/// </summary>
/// <remarks>
/// Ties: top-1 takes the lowest tied index (arg-max). Top-k with k &gt; 1 ranks tied classes with the higher index
/// first, as scikit-learn's stable descending sort does; the target counts when fewer than k classes rank above it.
/// </remarks>
/// <example><code>new Accuracy(ClassificationTask.Multiclass(10), topK: 5)</code></example>
public sealed class Accuracy : ClassificationMetric
{
    readonly MetricState correct, total;

    /// <summary>Multiclass top-1 accuracy from N x C scores and N class indices (C taken from the scores).</summary>
    public Accuracy() : this(ClassificationTask.Multiclass()) { }

    /// <summary>Accuracy for <paramref name="task"/>.</summary>
    /// <param name="task">What is scored.</param>
    /// <param name="topK">Counts a hit when the target is among the k highest scores (multiclass scores only).</param>
    public Accuracy(ClassificationTask task, int topK = 1) : base(task)
    {
        if (topK < 1) throw new ArgumentOutOfRangeException(nameof(topK), topK, "topK must be at least 1.");
        if (topK > 1 && task.Kind != ClassificationKind.Multiclass)
            throw new ArgumentException($"Top-k accuracy needs a multiclass task with N x C scores; this task is {task}.", nameof(topK));
        if (task.NumClasses is int c && topK > c)
            throw new ArgumentOutOfRangeException(nameof(topK), topK, $"topK is larger than the {c} classes, so every sample would count as a hit.");
        TopK = topK;
        correct = AddState("correct", []);
        total = AddState("total", []);
    }

    /// <summary>How many of the highest scores may hold the target.</summary>
    public int TopK { get; }

    /// <inheritdoc />
    protected override void UpdateState(Tensor predictions, Tensor targets)
    {
        if (TopK > 1)
        {
            UpdateTopK(predictions, targets);
            return;
        }
        var input = Prepare(predictions, targets);
        var hits = input.Predicted.eq(input.Target);
        if (Task.Kind == ClassificationKind.Multilabel) hits = hits.all(1);
        correct.Add(hits.sum(ScalarType.Float64));
        total.Add(hits.numel());
    }

    void UpdateTopK(Tensor predictions, Tensor targets)
    {
        var (scores, target, bad) = Task.PrepareScores(predictions, targets, Name);
        if (TopK > scores.shape[1])
            throw new ArgumentException($"{Name}: topK {TopK} is larger than the {scores.shape[1]} classes in the scores.", nameof(predictions));
        CountInvalidTargets(bad);
        // Rank of the target: classes scoring higher, plus tied classes with a higher index (scikit-learn's order).
        var column = target.unsqueeze(1);
        var targetScore = scores.gather(1, column);
        var classIndex = arange(scores.shape[1], ScalarType.Int64, scores.device).unsqueeze(0);
        var above = scores.gt(targetScore).logical_or(scores.eq(targetScore).logical_and(classIndex.gt(column)));
        var hits = above.sum(dim: 1).lt(TopK);
        correct.Add(hits.sum(ScalarType.Float64));
        total.Add(hits.numel());
    }

    /// <inheritdoc />
    protected internal override Tensor ComputeState() => correct.Value / total.Value;
}
