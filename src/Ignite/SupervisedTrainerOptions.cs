using Unified.Core.Training;

namespace Unified.Ignite;

/// <summary>Options of <see cref="Supervised.CreateTrainer(ITrainingModule, SupervisedTrainerOptions?)"/>, as the keyword arguments of Ignite's <c>create_supervised_trainer</c>.</summary>
public sealed class SupervisedTrainerOptions
{
    /// <summary><c>cpu</c>, <c>cuda</c> or <c>auto</c> (default).</summary>
    public string Accelerator { get; set; } = "auto";

    /// <summary>
    /// Numerics of the step (Ignite's <c>amp_mode</c> and <c>scaler</c>): <c>32-true</c> (default), <c>bf16-mixed</c>,
    /// <c>16-mixed</c> (with a dynamic loss scaler), <c>bf16-true</c>, <c>16-true</c>, <c>64-true</c>.
    /// </summary>
    public string Precision { get; set; } = "32-true";

    /// <summary>Micro-batches per optimiser step (Ignite's <c>gradient_accumulation_steps</c>).</summary>
    public int GradientAccumulationSteps { get; set; } = 1;

    /// <summary>Gradient clip threshold; null disables clipping.</summary>
    public double? ClipGradient { get; set; }

    /// <summary>Clip by norm (default) or by value.</summary>
    public GradientClipAlgorithm ClipAlgorithm { get; set; } = GradientClipAlgorithm.Norm;

    internal StepOptions StepOptions()
    {
        var step = new StepOptions { AccumulateGradBatches = GradientAccumulationSteps, GradientClipValue = ClipGradient, GradientClipAlgorithm = ClipAlgorithm, Precision = Precision };
        step.Validate(nameof(GradientAccumulationSteps), nameof(ClipGradient));
        return step;
    }
}
