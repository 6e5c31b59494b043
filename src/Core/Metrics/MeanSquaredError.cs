using static TorchSharp.torch;

namespace Unified.Core.Metrics;

/// <summary>The mean of (prediction − target)² over every element, as scikit-learn's <c>mean_squared_error</c> (outputs averaged uniformly).</summary>
/// <example><code>new MeanSquaredError()</code></example>
public sealed class MeanSquaredError : Metric
{
    readonly MetricState sum, count;

    /// <summary>An empty mean squared error.</summary>
    public MeanSquaredError()
    {
        sum = AddState("sum_squared_error", []);
        count = AddState("count", []);
    }

    /// <inheritdoc />
    protected override void UpdateState(Tensor predictions, Tensor targets)
    {
        var (p, t) = RegressionInput.Check(predictions, targets, Name);
        sum.Add((p - t).square().sum());
        count.Add(p.numel());
    }

    /// <inheritdoc />
    protected internal override Tensor ComputeState() => sum.Value / count.Value;
}
