using Unified.Core.Training;

namespace Unified.Adapters;

/// <summary>Options that mean the same in both front-ends.</summary>
public sealed class UnifiedTrainerOptions
{
    /// <summary>Training epochs (default 1).</summary>
    public int MaxEpochs { get; set; } = 1;

    /// <summary>Seed applied when fitting starts (data order is seeded by the data module); null leaves generators as they are.</summary>
    public long? Seed { get; set; }

    /// <summary><c>cpu</c>, <c>cuda</c> or <c>auto</c> (default).</summary>
    public string Accelerator { get; set; } = "auto";

    /// <summary>Numerics of the step: <c>32-true</c> (default), <c>bf16-mixed</c>, <c>16-mixed</c>, <c>bf16-true</c>, <c>16-true</c>, <c>64-true</c>.</summary>
    public string Precision { get; set; } = "32-true";

    /// <summary>Micro-batches per optimiser step.</summary>
    public int AccumulateGradBatches { get; set; } = 1;

    /// <summary>Gradient clip threshold; null disables clipping.</summary>
    public double? GradientClipValue { get; set; }

    /// <summary>Clip by norm (default) or by value.</summary>
    public GradientClipAlgorithm GradientClipAlgorithm { get; set; } = GradientClipAlgorithm.Norm;

    /// <summary>Whether to validate after every epoch (default true).</summary>
    public bool Validate { get; set; } = true;

    /// <summary>Called after every training step with its report (the loss stays on the device until read).</summary>
    public Action<StepReport>? OnStep { get; set; }

    /// <summary>Called after every epoch (training and validation) with its result.</summary>
    public Action<EpochResult>? OnEpoch { get; set; }

    /// <summary>Throws when a value is out of range, naming the field and the allowed values.</summary>
    public void Check()
    {
        if (MaxEpochs < 1) throw new ArgumentOutOfRangeException(nameof(MaxEpochs), MaxEpochs, "MaxEpochs must be a positive integer.");
        Core.Accelerators.Accelerator.ThrowIfUnknown(Accelerator, nameof(Accelerator));
        new StepOptions { AccumulateGradBatches = AccumulateGradBatches, GradientClipValue = GradientClipValue, Precision = Precision }.Validate();
    }
}
