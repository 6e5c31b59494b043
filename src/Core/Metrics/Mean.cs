using static TorchSharp.torch;

namespace Unified.Core.Metrics;

/// <summary>
/// The (weighted) mean of every value passed to <see cref="Update(Tensor)"/>, as torchmetrics' <c>MeanMetric</c> and
/// Ignite's <c>Average</c>: Σ value·weight / Σ weight, with weights broadcast to the values' shape. NaN propagates.
/// </summary>
/// <example><code>mean.Update(lossPerSample);  mean.Update(batchLoss, weights: batchSize);</code></example>
public sealed class Mean : Metric
{
    readonly MetricState sum, weight;

    /// <summary>An empty mean.</summary>
    public Mean()
    {
        sum = AddState("sum", []);
        weight = AddState("weight", []);
    }

    /// <summary>Adds every element of <paramref name="values"/> with weight 1.</summary>
    public void Update(Tensor values)
    {
        ArgumentNullException.ThrowIfNull(values);
        RunUpdate(values.device, () => Accumulate(values, null));
    }

    /// <summary>Adds every element of <paramref name="values"/> with the same <paramref name="weight"/> (e.g. a batch size for a batch mean).</summary>
    public void Update(Tensor values, double weight)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (!double.IsFinite(weight) || weight < 0)
            throw new ArgumentOutOfRangeException(nameof(weight), weight, "The weight must be finite and at least 0.");
        RunUpdate(values.device, () => Accumulate(values, weight));
    }

    /// <summary>Adds <c>values</c> (the predictions argument) weighted by <c>weights</c> (the targets argument, broadcastable to the values).</summary>
    protected override void UpdateState(Tensor predictions, Tensor targets)
    {
        CheckReal(predictions, "values");
        CheckReal(targets, "weights");
        Tensor weights;
        try { weights = targets.expand(predictions.shape); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new ArgumentException($"Mean: weights of shape [{string.Join(", ", targets.shape)}] do not broadcast to values of shape [{string.Join(", ", predictions.shape)}].", nameof(targets), e);
        }
        sum.Add((predictions.to_type(ScalarType.Float64) * weights).sum());
        weight.Add(weights.sum(ScalarType.Float64));
    }

    void Accumulate(Tensor values, double? each)
    {
        CheckReal(values, "values");
        var w = each ?? 1;
        sum.Add(values.sum(ScalarType.Float64) * w);
        weight.Add(values.numel() * w);
    }

    static void CheckReal(Tensor t, string what)
    {
        if (t.dtype == ScalarType.Bool || t.is_complex())
            throw new ArgumentException($"Mean needs real numbers as {what}; got {t.dtype}.", what);
    }

    /// <inheritdoc />
    protected internal override Tensor ComputeState() => sum.Value / weight.Value;
}
