using Unified.Core.Distributed;
using static TorchSharp.torch;

namespace Unified.Core.Metrics;

/// <summary>
/// One named state tensor of a <see cref="Metric"/> (torchmetrics' <c>add_state</c>): float64, a fixed shape, on the
/// metric's device, zero after <see cref="Metric.Reset"/>, and combined across ranks by <see cref="Reduce"/> in
/// <see cref="Metric.Sync"/>. Created by <c>AddState</c> in a metric's constructor; allocated on the first update.
/// </summary>
public sealed class MetricState
{
    readonly long[] shape;
    Tensor? value;

    internal MetricState(string name, long[] shape, ReduceOp? reduce)
    {
        Name = name;
        this.shape = shape;
        Reduce = reduce;
    }

    /// <summary>The key in the metric's state dict.</summary>
    public string Name { get; }

    /// <summary>The fixed shape (empty for a scalar).</summary>
    public IReadOnlyList<long> Shape => shape;

    /// <summary>How <see cref="Metric.Sync"/> combines ranks; <c>null</c> when the metric aligns it itself.</summary>
    public ReduceOp? Reduce { get; }

    /// <summary>The live float64 tensor (read it, or change it in place during an update).</summary>
    /// <exception cref="InvalidOperationException">The state is not allocated yet (no update so far).</exception>
    public Tensor Value => value ?? throw new InvalidOperationException(
        $"Metric state '{Name}' is not allocated yet; it is created on the metric's first Update().");

    /// <summary>Adds <paramref name="delta"/> (any real or bool dtype, broadcastable to <see cref="Shape"/>) in place, in float64.</summary>
    public void Add(Tensor delta) => Value.add_(delta);

    /// <summary>Adds a host number in place (no host sync: the number travels with the kernel launch).</summary>
    public void Add(double amount) => Value.add_(amount);

    internal bool IsAllocated => value is not null;

    internal long[] ShapeArray => shape;

    internal void Allocate(Device device) =>
        value ??= zeros(shape, ScalarType.Float64, device).DetachFromDisposeScope();

    internal void MoveTo(Device device)
    {
        if (value is null) return;
        var moved = value.to(device).DetachFromDisposeScope();
        if (!ReferenceEquals(moved, value)) value.Dispose();
        value = moved;
    }

    internal void Zero() => value?.zero_();

    internal void Free()
    {
        value?.Dispose();
        value = null;
    }
}
