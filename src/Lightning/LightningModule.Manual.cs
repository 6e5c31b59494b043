using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Lightning;

// Lightning 2.x's manual optimisation (core/module.py automatic_optimization, manual_backward, optimizers,
// lr_schedulers, clip_gradients, toggle_optimizer; loops/optimization/manual.py).
public abstract partial class LightningModule
{
    (int Index, IDisposable Restore)? toggled;

    IReadOnlyList<LightningOptimizer> optimizers = [];

    /// <summary>
    /// Whether the trainer runs backward, optimiser step and zero grad itself (Lightning's <c>automatic_optimization</c>,
    /// default true). Set it to false in the constructor to step by hand in <see cref="TrainingModule.TrainingStep"/> with
    /// <see cref="Optimizers()"/>, <see cref="ManualBackward"/> and <see cref="LrSchedulers()"/>; the trainer then refuses
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

    /// <summary>
    /// The optimiser to step by hand (Lightning's <c>self.optimizers()</c>): <see cref="TrainingModule.ConfigureOptimizers"/>'s, wrapped.
    /// With several (<see cref="OptimizerConfig.Many"/>) take each with <see cref="Optimizers(int)"/> or <see cref="OptimizerList"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">No fit is running, or the module configured several optimisers.</exception>
    public LightningOptimizer Optimizers()
    {
        var all = OptimizerList();
        if (all.Count > 1)
            throw new InvalidOperationException($"{GetType().Name}.ConfigureOptimizers returned {all.Count} optimizers; take each with Optimizers(0) ... Optimizers({all.Count - 1}) or OptimizerList().");
        return all[0];
    }

    /// <summary>Optimiser <paramref name="index"/> of <see cref="TrainingModule.ConfigureOptimizers"/>, wrapped (Lightning's <c>opt1, opt2 = self.optimizers()</c>).</summary>
    /// <exception cref="InvalidOperationException">No fit is running.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not the index of a configured optimiser.</exception>
    public LightningOptimizer Optimizers(int index)
    {
        var all = OptimizerList();
        if (index < 0 || index >= all.Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"{GetType().Name}.ConfigureOptimizers returned {all.Count} optimizer(s); pass an index from 0 to {all.Count - 1}.");
        return all[index];
    }

    /// <summary>Every optimiser of <see cref="TrainingModule.ConfigureOptimizers"/>, wrapped, in order (Lightning's list from <c>self.optimizers()</c>).</summary>
    /// <exception cref="InvalidOperationException">No fit is running.</exception>
    public IReadOnlyList<LightningOptimizer> OptimizerList()
    {
        var kernel = Trainer?.Kernel ?? throw new InvalidOperationException("Optimizers() is available only during Trainer.Fit.");
        // One wrapper per optimiser and fit, so that clipping asked for on it reaches its step.
        if (optimizers.Count == 0 || !optimizers[0].Wraps(kernel))
            optimizers = [.. Enumerable.Range(0, kernel.OptimizerConfigs.Count).Select(i => new LightningOptimizer(kernel, i))];
        return optimizers;
    }

    /// <summary>
    /// The scheduler <see cref="TrainingModule.ConfigureOptimizers"/> returned, to step by hand under manual optimisation
    /// (Lightning's <c>self.lr_schedulers()</c>); null without one. With several optimisers: the only scheduler among
    /// them, else take each with <see cref="LrSchedulers(int)"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">No fit is running, or several optimisers have a scheduler.</exception>
    public optim.lr_scheduler.LRScheduler? LrSchedulers()
    {
        var schedulers = FitKernel(nameof(LrSchedulers)).OptimizerConfigs.Select(c => c.Scheduler).OfType<optim.lr_scheduler.LRScheduler>().ToList();
        if (schedulers.Count > 1)
            throw new InvalidOperationException($"{GetType().Name}.ConfigureOptimizers returned {schedulers.Count} schedulers; take each with LrSchedulers(optimizerIndex).");
        return schedulers.FirstOrDefault();
    }

    /// <summary>The scheduler of optimiser <paramref name="optimizerIndex"/> (see <see cref="Optimizers(int)"/>), to step by hand; null when it has none.</summary>
    /// <exception cref="InvalidOperationException">No fit is running.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="optimizerIndex"/> is not the index of a configured optimiser.</exception>
    public optim.lr_scheduler.LRScheduler? LrSchedulers(int optimizerIndex)
    {
        var configs = FitKernel(nameof(LrSchedulers)).OptimizerConfigs;
        if (optimizerIndex < 0 || optimizerIndex >= configs.Count)
            throw new ArgumentOutOfRangeException(nameof(optimizerIndex), optimizerIndex, $"{GetType().Name}.ConfigureOptimizers returned {configs.Count} optimizer(s); pass an index from 0 to {configs.Count - 1}.");
        return configs[optimizerIndex].Scheduler;
    }

    /// <summary>
    /// Lets only <paramref name="optimizer"/>'s parameters require gradients until <see cref="UntoggleOptimizer"/>, so
    /// that its backward leaves the other optimisers' gradients alone (Lightning's <c>toggle_optimizer</c>); parameters
    /// the module froze stay frozen.
    /// </summary>
    /// <exception cref="InvalidOperationException">No fit is running, or another optimiser is toggled.</exception>
    public void ToggleOptimizer(LightningOptimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (toggled is not null)
            throw new InvalidOperationException($"Optimizer {toggled.Value.Index} is toggled; call UntoggleOptimizer on it before toggling another.");
        toggled = (optimizer.Index, FitKernel(nameof(ToggleOptimizer)).ToggleOptimizer(optimizer.Index));
    }

    /// <summary>Gives every parameter the <c>requires_grad</c> it had before <see cref="ToggleOptimizer"/> (Lightning's <c>untoggle_optimizer</c>).</summary>
    /// <exception cref="InvalidOperationException"><paramref name="optimizer"/> is not the toggled one.</exception>
    public void UntoggleOptimizer(LightningOptimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (toggled is not { } current || current.Index != optimizer.Index)
            throw new InvalidOperationException($"Optimizer {optimizer.Index} is not toggled; call ToggleOptimizer on it first.");
        toggled = null;
        current.Restore.Dispose();
    }

    /// <summary><see cref="ToggleOptimizer"/> until the result is disposed (Lightning's <c>with self.toggled_optimizer(opt):</c>).</summary>
    /// <example><code>using (ToggledOptimizer(opt)) { opt.ZeroGrad(); ManualBackward(loss); opt.Step(); }</code></example>
    public IDisposable ToggledOptimizer(LightningOptimizer optimizer)
    {
        ToggleOptimizer(optimizer);
        return new Untoggle(this, optimizer);
    }

    sealed class Untoggle(LightningModule module, LightningOptimizer optimizer) : IDisposable
    {
        bool done;

        public void Dispose()
        {
            if (done) return;
            done = true;
            module.UntoggleOptimizer(optimizer);
        }
    }

    StepKernel FitKernel(string member) => Trainer?.Kernel ?? throw new InvalidOperationException($"{member}() is available only during Trainer.Fit.");

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
