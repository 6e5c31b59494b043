using Unified.Core.Distributed;
using static TorchSharp.torch;

namespace Unified.Core.Metrics;

/// <summary>
/// An exponential moving average, as Ignite's <c>RunningAverage</c>: the average becomes v₁ on the first update, then
/// α·avg + (1 − α)·v, in that order of operations (Ignite's <c>alpha * running + (1 - alpha) * value</c>). Averages an
/// output such as the loss (<c>new RunningAverage()</c>, then <see cref="Update(Tensor)"/>: v is the output's mean) or a
/// metric computed on each batch alone (<c>new RunningAverage(new Accuracy())</c>: the source is reset first), entirely
/// on the device.
/// </summary>
/// <remarks>
/// An output update is a handful of kernels (a float64 sum, a division for several elements, then a copy, or two
/// multiplications and an addition) so that a per-iteration handler costs the loop little; a one-element CPU output
/// (the usual loss) is read once and blended on the host instead, with the same result; <see cref="Metric.Compute"/>
/// reads the state without copying it.
/// <see cref="Metric.Sync"/> averages the ranks' running values (Ignite all-reduces the source every iteration;
/// the two agree when every rank's batches have the same size) and, unlike totals, may be repeated between updates.
/// The running average owns its source and disposes it.
/// </remarks>
/// <example><code>var smoothLoss = new RunningAverage(alpha: 0.98); smoothLoss.Update(loss);</code></example>
public sealed class RunningAverage : Metric
{
    readonly MetricState value;
    double hostValue;
    long hostVersion = -1;

    /// <summary>The running average of an output (its mean per update), as Ignite's <c>RunningAverage(output_transform=...)</c>.</summary>
    /// <param name="alpha">The weight of the past, in (0, 1).</param>
    public RunningAverage(double alpha = 0.98) : this(new Mean(), alpha) { }

    /// <summary>The running average of <paramref name="source"/> (a metric with a scalar result), which it then owns.</summary>
    /// <param name="source">The metric computed on each batch.</param>
    /// <param name="alpha">The weight of the past, in (0, 1).</param>
    public RunningAverage(Metric source, double alpha = 0.98)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (!(alpha > 0 && alpha < 1)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must lie strictly between 0 and 1.");
        Source = source;
        Alpha = alpha;
        foreach (var problem in source.InputChecks) AddInputCheck(problem);
        value = AddState("value", [], ReduceOp.Mean);
    }

    /// <summary>The metric computed on each batch.</summary>
    public Metric Source { get; }

    /// <summary>The weight of the past.</summary>
    public double Alpha { get; }

    /// <inheritdoc />
    protected override bool SyncIsFinal => false;

    /// <summary>Adds one output (e.g. a batch's loss; a tensor with several elements counts as its mean, NaN when empty).</summary>
    /// <exception cref="ArgumentException">The output is boolean or complex.</exception>
    /// <exception cref="InvalidOperationException">This running average has a metric source; pass predictions and targets.</exception>
    public void Update(Tensor output)
    {
        ArgumentNullException.ThrowIfNull(output);
        ThrowIfMetricSource();
        var dtype = output.dtype;
        if (dtype == ScalarType.Bool || output.is_complex())
            throw new ArgumentException($"RunningAverage needs real numbers as its output; got {dtype}.", nameof(output));
        // A one-element CPU loss is read once and blended on the host: its float64 value is exact, and the host does the
        // same IEEE double operations in the same order as the kernels below, so the result is bitwise the same.
        if (dtype is ScalarType.Float32 or ScalarType.Float64 && output.device_type == TorchSharp.DeviceType.CPU && output.numel() == 1)
        {
            BlendOnHost(TensorMemory.ReadScalar(output), CPU);
            return;
        }
        // The mean directly, as the Mean source would give it (Σv / n in float64), without its state and reset.
        RunUpdate(output.device, () =>
        {
            long count = output.numel();
            var current = output.sum(ScalarType.Float64);
            Blend(count == 1 ? current : current.div_(count));
        });
    }

    /// <summary>Adds one output given as a number, as Ignite's update with a float (e.g. a trainer whose output is <c>loss.item()</c>).</summary>
    /// <exception cref="InvalidOperationException">This running average has a metric source; pass predictions and targets.</exception>
    public void Update(double output)
    {
        ThrowIfMetricSource();
        BlendOnHost(output, Device);
    }

    void ThrowIfMetricSource()
    {
        if (Source is not Mean)
            throw new InvalidOperationException($"This RunningAverage averages {Source.GetType().Name}; call Update(predictions, targets).");
    }

    // Blend's arithmetic on the host: v₁, then (avg·α) + (v·(1 − α)), each product rounded to float64, then the sum.
    // The state is written through; the mirror saves reading it back while nothing else changed it.
    void BlendOnHost(double output, Device device)
    {
        RunHostUpdate(device, () =>
        {
            hostValue = UpdateCount == 0 ? output : (HostIsCurrent ? hostValue : value.Value.item<double>()) * Alpha + output * (1 - Alpha);
            value.Value.fill_(hostValue);
        });
        hostVersion = StateVersion;
    }

    bool HostIsCurrent => hostVersion == StateVersion;

    /// <inheritdoc />
    protected override bool TryComputeOnHost(out double result)
    {
        result = hostValue;
        return HostIsCurrent;
    }

    /// <inheritdoc />
    protected override void UpdateState(Tensor predictions, Tensor targets)
    {
        Source.Reset();
        Source.Update(predictions, targets);
        var current = Source.ComputeState();
        if (current.numel() != 1)
            throw new ArgumentException($"RunningAverage needs a source with a scalar result; {Source.GetType().Name} gave shape [{string.Join(", ", current.shape)}].");
        AddInvalidCounts(Source);
        // The result may be (a view of) the source's state: it is read, never scaled in place.
        Blend(current.reshape(), scaleInPlace: false);
    }

    // v₁, then α·avg + (1 − α)·v; a temporary of this update may be scaled in place.
    void Blend(Tensor current, bool scaleInPlace = true)
    {
        if (UpdateCount == 0) value.Value.copy_(current);
        else
        {
            value.Value.mul_(Alpha);
            value.Value.add_(scaleInPlace ? current.mul_(1 - Alpha) : current * (1 - Alpha));
        }
    }

    /// <inheritdoc />
    protected internal override Tensor ComputeState() => value.Value;

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) Source.Dispose();
        base.Dispose(disposing);
    }
}
