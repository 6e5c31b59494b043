using static TorchSharp.torch;

namespace Unified.Core.Metrics;

/// <summary>Checks of regression batches, shared by the regression metrics.</summary>
internal static class RegressionInput
{
    /// <summary>
    /// Throws unless predictions are floating point and targets real, of the same shape (no broadcasting: a
    /// [N, 1] against [N] would silently compare every pair); returns both as float64.
    /// </summary>
    public static (Tensor Predictions, Tensor Targets) Check(Tensor predictions, Tensor targets, string metric)
    {
        if (!predictions.is_floating_point())
            throw new ArgumentException($"{metric} needs floating-point predictions; got {predictions.dtype}.", nameof(predictions));
        if (targets.dtype == ScalarType.Bool || targets.is_complex())
            throw new ArgumentException($"{metric} needs real-valued targets; got {targets.dtype}.", nameof(targets));
        if (!predictions.shape.SequenceEqual(targets.shape))
            throw new ArgumentException($"{metric} needs predictions and targets of the same shape; got [{string.Join(", ", predictions.shape)}] and [{string.Join(", ", targets.shape)}]. Reshape one of them (e.g. .squeeze(1)).", nameof(targets));
        return (predictions.to_type(ScalarType.Float64), targets.to_type(ScalarType.Float64));
    }
}
