namespace Unified.Core.Logging;

/// <summary>Which histograms a fit logs to its experiment loggers (those whose format has histograms, e.g. TensorBoard).</summary>
public sealed class HistogramOptions
{
    /// <summary>A histogram of every parameter (<c>weights/&lt;name&gt;</c>) at every epoch end.</summary>
    public bool Weights { get; init; }

    /// <summary>
    /// A histogram of every parameter's gradient (<c>gradients/&lt;name&gt;</c>) every this many optimiser steps, taken
    /// after accumulation, sync and unscaling and before clipping; null for none. Each costs one host sync per parameter.
    /// </summary>
    public int? GradientsEveryNSteps { get; init; }

    /// <summary>Equal-width buckets per histogram (default 64).</summary>
    public int Bins { get; init; } = 64;

    /// <summary>Throws when a value is out of range, naming the field.</summary>
    public void Validate()
    {
        if (GradientsEveryNSteps is < 1) throw new ArgumentOutOfRangeException(nameof(GradientsEveryNSteps), GradientsEveryNSteps, "GradientsEveryNSteps must be at least 1 (or null for none).");
        if (Bins < 1) throw new ArgumentOutOfRangeException(nameof(Bins), Bins, "Bins must be at least 1.");
    }
}
