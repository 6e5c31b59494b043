using static TorchSharp.torch;

namespace Unified.Core.Metrics;

/// <summary>The sample-weighted mean of a mean-reduced loss function over batches, as Ignite's <c>Loss</c>.</summary>
/// <example><code>var loss = new Loss((logits, y) => nn.functional.cross_entropy(logits, y));</code></example>
public sealed class Loss(Func<Tensor, Tensor, Tensor> lossFunction) : Metric
{
    Tensor? sum;
    long count;

    /// <inheritdoc />
    protected override void UpdateState(Tensor predictions, Tensor targets)
    {
        if (predictions.dim() == 0 || targets.dim() == 0 || predictions.shape[0] != targets.shape[0])
            throw new ArgumentException($"Loss expects predictions and targets with the same number of samples (first dimension); got [{string.Join(", ", predictions.shape)}] and [{string.Join(", ", targets.shape)}].");
        long n = predictions.shape[0];
        var loss = lossFunction(predictions, targets);
        if (loss.numel() != 1)
            throw new ArgumentException($"The loss function returned shape [{string.Join(", ", loss.shape)}]; Loss needs a mean-reduced scalar.");
        var weighted = loss.detach().mul(n);
        sum = Accumulate(sum, weighted);
        count += n;
    }

    /// <inheritdoc />
    public override double Compute() => sum is null || count == 0 ? throw NothingToCompute() : sum.item<double>() / count;

    /// <inheritdoc />
    public override void Reset()
    {
        sum?.Dispose();
        sum = null;
        count = 0;
    }
}
