using Unified.Core.Distributed;
using static TorchSharp.torch;

namespace Unified.Core.Metrics;

/// <summary>
/// The coefficient of determination, 1 − Σ(y − ŷ)² / Σ(y − ȳ)², as scikit-learn's <c>r2_score</c>
/// (<c>force_finite=True</c>): a constant target scores 1 when predicted exactly and 0 otherwise; fewer than two
/// samples give NaN. Targets are N values or N x D outputs.
/// </summary>
/// <remarks>
/// The sums of targets are taken about the first target seen (a shift), which keeps Σ(y − ȳ)² exact for a constant
/// target and avoids cancellation when the targets' mean is large; <see cref="Metric.Sync"/> moves every rank to
/// rank 0's shift first (one broadcast).
/// </remarks>
/// <example><code>new R2Score(outputs: 3, R2Multioutput.VarianceWeighted)</code></example>
public sealed class R2Score : Metric
{
    readonly MetricState count, shift, sumDeviation, sumSquaredDeviation, sumSquaredError;

    /// <summary>An R² score over <paramref name="outputs"/> outputs.</summary>
    /// <param name="outputs">D: targets are N values when 1, else N x D.</param>
    /// <param name="multioutput">How the outputs' scores combine.</param>
    public R2Score(int outputs = 1, R2Multioutput multioutput = R2Multioutput.UniformAverage)
    {
        if (outputs < 1) throw new ArgumentOutOfRangeException(nameof(outputs), outputs, "R2Score needs at least 1 output.");
        if (!Enum.IsDefined(multioutput))
            throw new ArgumentOutOfRangeException(nameof(multioutput), multioutput, "Unknown multioutput mode; use UniformAverage, VarianceWeighted or RawValues.");
        Outputs = outputs;
        Multioutput = multioutput;
        count = AddState("count", []);
        shift = AddState("shift", [outputs], reduce: null);
        sumDeviation = AddState("sum_deviation", [outputs]);
        sumSquaredDeviation = AddState("sum_squared_deviation", [outputs]);
        sumSquaredError = AddState("sum_squared_error", [outputs]);
    }

    /// <summary>The number of outputs, D.</summary>
    public int Outputs { get; }

    /// <summary>How the outputs' scores combine.</summary>
    public R2Multioutput Multioutput { get; }

    /// <inheritdoc />
    protected override void UpdateState(Tensor predictions, Tensor targets)
    {
        var (p, t) = RegressionInput.Check(predictions, targets, Name);
        bool fits = Outputs == 1 ? t.dim() == 1 || (t.dim() == 2 && t.shape[1] == 1) : t.dim() == 2 && t.shape[1] == Outputs;
        if (!fits)
            throw new ArgumentException($"{Name} with {Outputs} output(s) needs targets of shape {(Outputs == 1 ? "[N] or [N, 1]" : $"[N, {Outputs}]")}; got [{string.Join(", ", t.shape)}].", nameof(targets));
        p = p.reshape(-1, Outputs);
        t = t.reshape(-1, Outputs);
        if (UpdateCount == 0 && t.shape[0] > 0) shift.Value.copy_(t[0]);
        var deviation = t - shift.Value;
        count.Add(t.shape[0]);
        sumDeviation.Add(deviation.sum(dim: 0));
        sumSquaredDeviation.Add(deviation.square().sum(dim: 0));
        sumSquaredError.Add((p - t).square().sum(dim: 0));
    }

    /// <inheritdoc />
    protected override void AlignForSync(IProcessGroup group)
    {
        var common = shift.Value.clone();
        group.Broadcast(common, 0);
        var delta = shift.Value - common;
        var n = count.Value;
        // Σ(y − q)² = Σ(y − s)² + 2(s − q)Σ(y − s) + n(s − q)², then Σ(y − q) = Σ(y − s) + n(s − q).
        sumSquaredDeviation.Add(2 * delta * sumDeviation.Value + n * delta.square());
        sumDeviation.Add(n * delta);
        shift.Value.copy_(common);
    }

    /// <inheritdoc />
    protected internal override Tensor ComputeState()
    {
        var n = count.Value;
        var residual = sumSquaredError.Value;
        var total = sumSquaredDeviation.Value - sumDeviation.Value.square() / n;
        var ratio = residual / where(total.eq(0), ones_like(total), total);
        var perOutput = where(residual.eq(0), ones_like(total), where(total.eq(0), zeros_like(total), 1 - ratio));
        var score = Multioutput switch
        {
            R2Multioutput.RawValues => perOutput,
            R2Multioutput.VarianceWeighted => where(total.sum().eq(0), perOutput.mean(), (perOutput * total).sum() / total.sum()),
            _ => perOutput.mean(),
        };
        return where(n.lt(2), full_like(score, double.NaN), score);
    }
}
