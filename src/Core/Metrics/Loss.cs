using static TorchSharp.torch;

namespace Unified.Core.Metrics;

/// <summary>The sample-weighted mean of a mean-reduced loss function over batches, as Ignite's <c>Loss</c>.</summary>
/// <example><code>var loss = new Loss((logits, y) => nn.functional.cross_entropy(logits, y));</code></example>
public sealed class Loss : Metric
{
    readonly Func<Tensor, Tensor, Tensor> lossFunction;
    readonly MetricState sum, count;

    /// <summary>A loss metric over <paramref name="lossFunction"/>(predictions, targets), which must return a mean-reduced scalar.</summary>
    public Loss(Func<Tensor, Tensor, Tensor> lossFunction)
    {
        ArgumentNullException.ThrowIfNull(lossFunction);
        this.lossFunction = lossFunction;
        sum = AddState("sum", []);
        count = AddState("count", []);
    }

    /// <inheritdoc />
    protected override void UpdateState(Tensor predictions, Tensor targets)
    {
        if (predictions.dim() == 0 || targets.dim() == 0 || predictions.shape[0] != targets.shape[0])
            throw new ArgumentException($"Loss expects predictions and targets with the same number of samples (first dimension); got [{string.Join(", ", predictions.shape)}] and [{string.Join(", ", targets.shape)}].");
        long n = predictions.shape[0];
        var loss = lossFunction(predictions, targets);
        if (loss.numel() != 1)
            throw new ArgumentException($"The loss function returned shape [{string.Join(", ", loss.shape)}]; Loss needs a mean-reduced scalar.");
        sum.Add(loss.detach().reshape().to_type(ScalarType.Float64) * n);
        count.Add(n);
    }

    /// <inheritdoc />
    protected internal override Tensor ComputeState() => sum.Value / count.Value;
}
