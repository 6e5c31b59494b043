using static TorchSharp.torch;

namespace Unified.Core.Metrics;

/// <summary>The mean of |prediction − target| over every element, as scikit-learn's <c>mean_absolute_error</c> (outputs averaged uniformly).</summary>
/// <example><code>new MeanAbsoluteError()</code></example>
public sealed class MeanAbsoluteError : Metric
{
    readonly MetricState sum, count;

    /// <summary>An empty mean absolute error.</summary>
    public MeanAbsoluteError()
    {
        sum = AddState("sum_absolute_error", []);
        count = AddState("count", []);
    }

    /// <inheritdoc />
    protected override void UpdateState(Tensor predictions, Tensor targets)
    {
        var (p, t) = RegressionInput.Check(predictions, targets, Name);
        sum.Add((p - t).abs().sum());
        count.Add(p.numel());
    }

    /// <inheritdoc />
    protected internal override Tensor ComputeState() => sum.Value / count.Value;
}
