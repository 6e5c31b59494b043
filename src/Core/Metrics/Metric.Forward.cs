using static TorchSharp.torch;

namespace Unified.Core.Metrics;

public abstract partial class Metric
{
    Tensor? forwardCache;

    /// <summary>
    /// The value of the last <see cref="Forward"/>'s batch alone (torchmetrics' <c>_forward_cache</c>), which Lightning
    /// logs as a metric's per-step value; null before the first forward and after <see cref="Reset"/>. Owned by the metric.
    /// </summary>
    public Tensor? ForwardCache => forwardCache;

    /// <summary>
    /// Adds the batch to the state, as <see cref="Update"/>, and returns the metric of this batch alone (torchmetrics'
    /// <c>forward</c> with <c>full_state_update</c>: the state is set aside, the batch computed on its own, the state
    /// put back). The result is a new float64 tensor the caller owns; <see cref="ForwardCache"/> keeps a copy.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes, dtypes or devices do not fit the metric.</exception>
    public Tensor Forward(Tensor predictions, Tensor targets)
    {
        Update(predictions, targets);
        long count = UpdateCount;
        var saved = states.Select(s => s.Value.clone().DetachFromDisposeScope()).ToList();
        Tensor batch;
        try
        {
            foreach (var state in states) state.Zero();
            UpdateCount = 0;
            Update(predictions, targets);
            batch = ComputeTensor();
        }
        finally
        {
            for (int i = 0; i < states.Count; i++) states[i].Value.copy_(saved[i]);
            foreach (var tensor in saved) tensor.Dispose();
            UpdateCount = count;
            StateVersion++;
        }
        forwardCache?.Dispose();
        forwardCache = batch.clone().DetachFromDisposeScope();
        return batch;
    }

    void ForgetForward()
    {
        forwardCache?.Dispose();
        forwardCache = null;
    }
}
