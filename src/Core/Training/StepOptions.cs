using Unified.Core.Numerics;

namespace Unified.Core.Training;

/// <summary>How the step kernel turns losses into optimiser steps.</summary>
public sealed class StepOptions
{
    /// <summary>Micro-batches whose gradients are summed (each loss divided by this) before one optimiser step. Default 1.</summary>
    public int AccumulateGradBatches { get; set; } = 1;

    /// <summary>Clip threshold applied before the optimiser step; null disables clipping.</summary>
    public double? GradientClipValue { get; set; }

    /// <summary>Clip by total norm (default) or by value.</summary>
    public GradientClipAlgorithm GradientClipAlgorithm { get; set; } = GradientClipAlgorithm.Norm;

    /// <summary>Numerics of the step: one of <see cref="PrecisionPlugins.Names"/>; default <c>32-true</c>.</summary>
    public string Precision { get; set; } = "32-true";

    /// <summary>Skip micro-batches whose loss is NaN or infinite instead of throwing <see cref="NonFiniteLossException"/>.</summary>
    public bool SkipNonFiniteLoss { get; set; }

    /// <summary>
    /// Step TorchSharp's <c>optim.Adam</c>, <c>AdamW</c> and <c>SGD</c> through <see cref="Optimization.FusedOptimizer"/>
    /// (flat buffers, a few native calls per step; the same weights and state as the optimiser's own step) when the
    /// optimiser and its parameters allow it and no gradient synchronizer owns the gradients. Default on.
    /// </summary>
    public bool FusedOptimizer { get; set; } = true;

    /// <summary>
    /// Throws when a value is out of range, naming the field and the allowed values; a front-end passes the names its
    /// own options use for these two fields, so that the error speaks its users' vocabulary.
    /// </summary>
    public void Validate(string accumulateName = nameof(AccumulateGradBatches), string clipName = nameof(GradientClipValue), string precisionName = nameof(Precision))
    {
        Core.Numerics.PrecisionPlugins.ThrowIfUnknown(Precision, precisionName);
        if (AccumulateGradBatches < 1)
            throw new ArgumentOutOfRangeException(accumulateName, AccumulateGradBatches, $"{accumulateName} must be at least 1 batch.");
        if (GradientClipValue is double clip && !(clip > 0 && double.IsFinite(clip)))
            throw new ArgumentOutOfRangeException(clipName, clip, $"{clipName} must be a positive finite number (or null to disable clipping).");
    }
}
