using static TorchSharp.torch;

namespace Unified.Core.Metrics;

/// <summary>Multiclass top-1 accuracy from logits or probabilities (N x C) and class indices (N).</summary>
public sealed class Accuracy : Metric
{
    Tensor? correct;
    long total;

    /// <inheritdoc />
    protected override void UpdateState(Tensor predictions, Tensor targets)
    {
        if (predictions.dim() != 2 || targets.dim() != 1 || predictions.shape[0] != targets.shape[0])
            throw new ArgumentException($"Accuracy expects predictions N x C and targets N; got [{string.Join(", ", predictions.shape)}] and [{string.Join(", ", targets.shape)}].");
        var hits = predictions.argmax(1).eq(targets).sum();
        correct = Accumulate(correct, hits);
        total += targets.shape[0];
    }

    /// <inheritdoc />
    public override double Compute() => correct is null || total == 0 ? throw NothingToCompute() : correct.item<double>() / total;

    /// <inheritdoc />
    public override void Reset()
    {
        correct?.Dispose();
        correct = null;
        total = 0;
    }
}
