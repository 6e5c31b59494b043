using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Lightning;

/// <summary>
/// The optimiser a module steps by hand under manual optimisation (Lightning's <c>LightningOptimizer</c>,
/// core/optimizer.py): <see cref="Step"/> goes through Core's <see cref="StepKernel"/> (gradient sync, unscale and inf
/// check under 16-mixed, the clipping asked for with <see cref="LightningModule.ClipGradients"/>, the optimiser step,
/// <c>global_step</c> + 1), so that precision and ddp behave as under automatic optimisation.
/// </summary>
public sealed class LightningOptimizer
{
    readonly StepKernel kernel;
    (double Value, GradientClipAlgorithm Algorithm)? clip;

    internal LightningOptimizer(StepKernel kernel, int index) => (this.kernel, Index) = (kernel, index);

    /// <summary>The wrapped optimiser (Lightning's <c>optimizer.optimizer</c>), e.g. to read its learning rate.</summary>
    public optim.Optimizer Optimizer => kernel.OptimizerConfigs[Index].Optimizer;

    /// <summary>Its place in what <see cref="TrainingModule.ConfigureOptimizers"/> returned (0 for the first or only one).</summary>
    public int Index { get; }

    internal bool Wraps(StepKernel other) => ReferenceEquals(kernel, other);

    /// <summary>
    /// Steps the optimiser on the gradients of the <see cref="LightningModule.ManualBackward"/> calls since the last
    /// <see cref="ZeroGrad"/>; only its own parameters change. Returns false when the step was skipped (a non-finite gradient under 16-mixed); the
    /// global step counts it either way, as Lightning's manual loop does.
    /// </summary>
    public bool Step()
    {
        var pending = clip;
        clip = null;
        return kernel.ManualOptimizerStep(pending?.Value, pending?.Algorithm ?? GradientClipAlgorithm.Norm, Index);
    }

    /// <summary>Zeroes the gradients of the optimiser's parameters (Lightning's <c>optimizer.zero_grad()</c>).</summary>
    public void ZeroGrad() => Optimizer.zero_grad();

    // Clipping needs the synchronised, unscaled gradients, which exist only inside the step: it is applied there.
    internal void ClipAtNextStep(double value, GradientClipAlgorithm algorithm) => clip = (value, algorithm);
}
