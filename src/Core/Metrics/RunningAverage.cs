using Unified.Core.Distributed;
using static TorchSharp.torch;

namespace Unified.Core.Metrics;

/// <summary>
/// An exponential moving average, as Ignite's <c>RunningAverage</c>: each update computes the source on that batch
/// alone (the source is reset first), and the average becomes v₁ on the first update, then
/// avg·α + v·(1 − α). Averages a metric (<c>new RunningAverage(new Accuracy())</c>) or an output such as the loss
/// (<c>new RunningAverage()</c>, then <see cref="Update(Tensor)"/>), entirely on the device.
/// </summary>
/// <remarks>
/// <see cref="Metric.Sync"/> averages the ranks' running values (Ignite all-reduces the source every iteration;
/// the two agree when every rank's batches have the same size) and, unlike totals, may be repeated between updates.
/// The running average owns its source and disposes it.
/// </remarks>
/// <example><code>var smoothLoss = new RunningAverage(alpha: 0.98); smoothLoss.Update(loss);</code></example>
public sealed class RunningAverage : Metric
{
    readonly MetricState value;

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

    /// <summary>Adds one output (e.g. a batch's loss; a tensor with several elements counts as its mean).</summary>
    /// <exception cref="InvalidOperationException">This running average has a metric source; pass predictions and targets.</exception>
    public void Update(Tensor output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (Source is not Mean mean)
            throw new InvalidOperationException($"This RunningAverage averages {Source.GetType().Name}; call Update(predictions, targets).");
        RunUpdate(output.device, () => Advance(() => mean.Update(output)));
    }

    /// <inheritdoc />
    protected override void UpdateState(Tensor predictions, Tensor targets) =>
        Advance(() => Source.Update(predictions, targets));

    void Advance(Action updateSource)
    {
        Source.Reset();
        updateSource();
        var current = Source.ComputeState();
        if (current.numel() != 1)
            throw new ArgumentException($"RunningAverage needs a source with a scalar result; {Source.GetType().Name} gave shape [{string.Join(", ", current.shape)}].");
        AddInvalidCounts(Source);
        if (UpdateCount == 0) value.Value.copy_(current.reshape());
        else value.Value.mul_(Alpha).add_(current.reshape() * (1 - Alpha));
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
