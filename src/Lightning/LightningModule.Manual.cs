using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Lightning;

// Lightning 2.x's manual optimisation (core/module.py automatic_optimization, manual_backward, optimizers,
// lr_schedulers, clip_gradients; loops/optimization/manual.py).
public abstract partial class LightningModule
{
    LightningOptimizer? optimizer;

    /// <summary>
    /// Whether the trainer runs backward, optimiser step and zero grad itself (Lightning's <c>automatic_optimization</c>,
    /// default true). Set it to false in the constructor to step by hand in <see cref="TrainingModule.TrainingStep"/> with
    /// <see cref="Optimizers"/>, <see cref="ManualBackward"/> and <see cref="LrSchedulers"/>; the trainer then refuses
    /// <see cref="TrainerOptions.AccumulateGradBatches"/> &gt; 1 and <see cref="TrainerOptions.GradientClipVal"/>.
    /// </summary>
    /// <example><code>
    /// public LitManual() : base(new DigitsMlp()) =&gt; AutomaticOptimization = false;
    /// public override Tensor TrainingStep(Batch batch, int i)
    /// {
    ///     var opt = Optimizers();
    ///     var loss = nn.functional.cross_entropy(Forward(batch.Input), batch.Target);
    ///     opt.ZeroGrad();
    ///     ManualBackward(loss);
    ///     opt.Step();
    ///     return loss;
    /// }
    /// </code></example>
    public bool AutomaticOptimization { get; protected set; } = true;

    /// <summary>
    /// Backward of <paramref name="loss"/> under manual optimisation, with the precision's loss scaling, the
    /// mixed-precision gradient transfer and the ddp gradient sync of the automatic path (Lightning's <c>manual_backward</c>).
    /// </summary>
    /// <exception cref="InvalidOperationException">Automatic optimisation is on, or no fit is running.</exception>
    public void ManualBackward(Tensor loss)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ManualKernel(nameof(ManualBackward)).ManualBackward(loss);
    }

    /// <summary>The optimiser to step by hand (Lightning's <c>self.optimizers()</c>): <see cref="TrainingModule.ConfigureOptimizers"/>'s, wrapped.</summary>
    /// <exception cref="InvalidOperationException">No fit is running.</exception>
    public LightningOptimizer Optimizers()
    {
        var kernel = Trainer?.Kernel ?? throw new InvalidOperationException("Optimizers() is available only during Trainer.Fit.");
        if (optimizer is null || !ReferenceEquals(optimizer.Optimizer, kernel.Optimizers.Optimizer)) optimizer = new LightningOptimizer(kernel);
        return optimizer;
    }

    /// <summary>The scheduler <see cref="TrainingModule.ConfigureOptimizers"/> returned, to step by hand under manual optimisation (Lightning's <c>self.lr_schedulers()</c>); null without one.</summary>
    /// <exception cref="InvalidOperationException">No fit is running.</exception>
    public optim.lr_scheduler.LRScheduler? LrSchedulers() =>
        (Trainer?.Kernel ?? throw new InvalidOperationException("LrSchedulers() is available only during Trainer.Fit.")).Optimizers.Scheduler;

    /// <summary>
    /// Clips the gradients at <paramref name="optimizer"/>'s next <see cref="LightningOptimizer.Step"/>, after they are
    /// synchronised and unscaled (Lightning's <c>clip_gradients</c>, which the manual module calls before <c>opt.step()</c>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="gradientClipVal"/> is not positive and finite.</exception>
    public void ClipGradients(LightningOptimizer optimizer, double gradientClipVal, GradientClipAlgorithm algorithm = GradientClipAlgorithm.Norm)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (!(gradientClipVal > 0) || double.IsInfinity(gradientClipVal))
            throw new ArgumentOutOfRangeException(nameof(gradientClipVal), gradientClipVal, "The gradient clip value must be positive and finite.");
        optimizer.ClipAtNextStep(gradientClipVal, algorithm);
    }

    StepKernel ManualKernel(string member)
    {
        if (AutomaticOptimization)
            throw new InvalidOperationException($"{member} is for manual optimisation; set AutomaticOptimization = false in {GetType().Name}'s constructor.");
        return Trainer?.Kernel ?? throw new InvalidOperationException($"{member} is available only during Trainer.Fit.");
    }
}
