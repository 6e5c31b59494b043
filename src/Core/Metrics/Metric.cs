using static TorchSharp.torch;

namespace Unified.Core.Metrics;

/// <summary>
/// A metric with tensor state: <see cref="Update"/> per batch (no host sync), <see cref="Compute"/> at the end,
/// <see cref="Reset"/> between runs. Front-ends attach metrics to their loops; the state stays on the data's device.
/// </summary>
public abstract class Metric : IDisposable
{
    /// <summary>Adds one batch of predictions and targets to the state (temporaries are freed here, without a host sync).</summary>
    public void Update(Tensor predictions, Tensor targets)
    {
        using var scope = NewDisposeScope();
        UpdateState(predictions, targets);
    }

    /// <summary>Adds one batch to the state; runs inside a dispose scope, so temporaries need no <c>using</c>.</summary>
    protected abstract void UpdateState(Tensor predictions, Tensor targets);

    /// <summary>The metric over everything since the last reset.</summary>
    /// <exception cref="InvalidOperationException">No update happened since the last reset.</exception>
    public abstract double Compute();

    /// <summary>Clears the state.</summary>
    public abstract void Reset();

    /// <inheritdoc />
    public void Dispose()
    {
        Reset();
        GC.SuppressFinalize(this);
    }

    /// <summary>A running sum held outside any step's dispose scope, created on first use on the value's device.</summary>
    protected static Tensor Accumulate(Tensor? sum, Tensor value)
    {
        if (sum is null) return value.detach().to_type(ScalarType.Float64).clone().DetachFromDisposeScope();
        sum.add_(value.detach().to_type(ScalarType.Float64));
        return sum;
    }

    /// <summary>The error for <see cref="Compute"/> before any <see cref="Update"/>.</summary>
    protected InvalidOperationException NothingToCompute() =>
        new($"{GetType().Name}.Compute() was called before any Update(); run at least one batch first (or after Reset()).");
}
