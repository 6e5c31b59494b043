using System.Runtime.InteropServices;
using TorchSharp;
using TorchSharp.Modules;
using Unified.Core.Distributed;
using Unified.Core.Numerics;
using Unified.Core.Optimization;
using Unified.Core.State;
using static TorchSharp.torch;

namespace Unified.Core.Training;

/// <summary>
/// The one place where an optimisation step happens, for both front-ends: forward closure (in the precision's dtype)
/// → finite-loss check → zero grad (first micro-batch of a window) → backward of the scaled loss divided by the
/// accumulation count → at an accumulation boundary: gradient sync → unscale and inf check → clip → optimiser step →
/// step-interval scheduler. One dispose
/// scope per call, so step code needs no <c>using</c>.
/// </summary>
public sealed class StepKernel : IStateful, IDisposable
{
    readonly OptimizerConfig optimizers;
    readonly IReadOnlyList<OptimizerConfig> configs;
    readonly List<Parameter>[] parametersOf;
    readonly StepOptions options;
    readonly IGradientSynchronizer? gradients;
    int pendingMicroBatches;
    int? scheduledAccumulation;
    // Per optimiser: whether a backward ran since its last step (one backward feeds every optimiser's parameters).
    readonly bool[] windowHasGradients;
    // Whether the optimiser's gradients were zeroed and no backward has added to them since.
    bool gradientsZeroed;

    /// <summary>
    /// The kernel for <paramref name="module"/> on <paramref name="device"/>: moves the network, applies the precision
    /// (true precisions convert the network before <see cref="ITrainingModule.ConfigureOptimizers"/>), then configures
    /// the optimisers. Front-ends create their kernel here.
    /// </summary>
    public static StepKernel Create(ITrainingModule module, Device device, StepOptions? options = null, IGradientSynchronizer? gradients = null) =>
        Create(module, device, options, gradients is null ? null : _ => gradients);

    /// <summary>
    /// As <see cref="Create(ITrainingModule, Device, StepOptions?, IGradientSynchronizer?)"/>, with the gradient
    /// synchronizer made by <paramref name="synchronize"/> from the network once it is on its device and in its
    /// precision, before the optimisers are configured (e.g. <c>network =&gt; strategy.Wrap(network)</c>, which buckets
    /// the parameters the optimiser will update).
    /// </summary>
    public static StepKernel Create(ITrainingModule module, Device device, StepOptions? options, Func<nn.Module, IGradientSynchronizer>? synchronize)
    {
        options ??= new StepOptions();
        options.Validate();
        module.Network.to(device);
        var precision = Core.Numerics.PrecisionPlugins.Create(options.Precision, device);
        precision.ConnectModule(module.Network);
        var gradients = synchronize?.Invoke(module.Network);
        return new StepKernel(module.Network, module.ConfigureOptimizers(), options, gradients, precision);
    }

    /// <summary>
    /// Creates the kernel for <paramref name="network"/> stepped by <paramref name="optimizers"/> (created over the
    /// network's parameters). True low precisions need <see cref="Create(ITrainingModule, Device, StepOptions?, IGradientSynchronizer?)"/>, which converts the network first.
    /// </summary>
    public StepKernel(nn.Module network, OptimizerConfig optimizers, StepOptions? options = null, IGradientSynchronizer? gradients = null)
        : this(network, optimizers, options ?? new StepOptions(), gradients, precision: null) { }

    StepKernel(nn.Module network, OptimizerConfig optimizers, StepOptions options, IGradientSynchronizer? gradients, PrecisionPlugin? precision)
    {
        options.Validate();
        optimizers.Validate();
        (this.optimizers, this.options, this.gradients) = (optimizers, options, gradients);
        configs = optimizers.All;
        // Gradient buckets average every gradient at each step, so a second optimiser's step would average them again.
        if (configs.Count > 1 && gradients is not null)
        {
            precision?.Dispose();
            throw new NotSupportedException($"{configs.Count} optimizers with gradient synchronisation (ddp) are not supported; train several optimizers on one process, or return one OptimizerConfig.");
        }
        parametersOf = [.. configs.Select(c => PinParameters(c.Optimizer))];
        windowHasGradients = new bool[configs.Count];
        Parameters = configs.Count == 1 ? parametersOf[0] : [.. parametersOf.SelectMany(p => p).DistinctBy(p => p.Handle)];
        if (precision is null)
        {
            precision = Core.Numerics.PrecisionPlugins.Create(options.Precision, Parameters.Count > 0 ? Parameters[0].device : CPU);
            precision.CheckParameters(Parameters);
            precision.ConnectModule(network);
        }
        else precision.CheckParameters(Parameters);
        // PyTorch's GradScaler unscales each optimiser once and updates the scale once per iteration; the kernel's
        // scaler updates at every step, which with several optimisers would change the scale between them.
        if (configs.Count > 1 && precision is MixedPrecision { Scaler: not null })
        {
            precision.Dispose();
            throw new NotSupportedException($"Precision '{precision.Name}' with {configs.Count} optimizers is not supported (one loss scale per optimizer step); use 'bf16-mixed' or '32-true'.");
        }
        if (precision is MixedPrecision && gradients is { OverlapsBackward: true })
            throw new NotSupportedException($"Precision '{precision.Name}' moves gradients to the fp32 master parameters after backward, so " +
                "gradient communication cannot overlap with backward: turn OverlapWithBackward off (its measured gain was nil) or use 32-true.");
        Precision = precision;
        // The gradient buckets of a synchronizer already own the gradients' storage.
        // Several optimisers step with their own step(), which gives the same weights.
        if (options.FusedOptimizer && gradients is null && configs.Count == 1) Fused = FusedOptimizer.TryCreate(optimizers.Optimizer, out _);
    }

    /// <summary>
    /// The fused optimiser step in use (see <see cref="StepOptions.FusedOptimizer"/>), or null for the optimiser's own
    /// (always with several optimisers).
    /// </summary>
    public FusedOptimizer? Fused { get; }

    /// <summary>The parameters the optimisers update (fp32 masters under mixed precision), in module order (with several optimisers, each once, in their order).</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>The precision plugin.</summary>
    public PrecisionPlugin Precision { get; }

    /// <summary>Optimiser steps taken or skipped (Lightning's <c>global_step</c>).</summary>
    public long GlobalStep { get; private set; }

    /// <summary>Optimiser steps skipped: a non-finite gradient under 16-mixed, or only skipped losses in the window.</summary>
    public long SkippedSteps { get; private set; }

    /// <summary>
    /// The optimiser (and scheduler) the kernel steps, e.g. to read the learning rate: the config it was given, which
    /// with several (<see cref="OptimizerConfig.Many"/>) reads as the first; <see cref="OptimizerConfigs"/> lists each.
    /// </summary>
    public OptimizerConfig Optimizers => optimizers;

    /// <summary>Every optimiser config, in order (<see cref="OptimizerConfig.All"/>); one unless the module returned several.</summary>
    public IReadOnlyList<OptimizerConfig> OptimizerConfigs => configs;

    /// <summary>The index in <see cref="OptimizerConfigs"/> of the optimiser stepping now (or last), e.g. for <see cref="BeforeOptimizerStep"/>.</summary>
    public int SteppingOptimizer { get; private set; }

    /// <summary>Whether the counters were loaded from a checkpoint (<see cref="LoadStateDict"/>): the fit continues a saved one.</summary>
    public bool Resumed { get; private set; }

    /// <summary>
    /// Micro-batches per optimiser step from now on: <see cref="StepOptions.AccumulateGradBatches"/> unless a schedule
    /// changed it (Lightning's settable <c>trainer.accumulate_grad_batches</c>, set by its
    /// <c>GradientAccumulationScheduler</c> at epoch starts). Checkpoints record the configured value, so that a
    /// scheduled fit resumes; the schedule sets the factor again.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    /// <exception cref="InvalidOperationException">Micro-batch gradients are pending (not at a step boundary).</exception>
    public int AccumulateGradBatches
    {
        get => scheduledAccumulation ?? options.AccumulateGradBatches;
        set
        {
            if (value < 1) throw new ArgumentOutOfRangeException(nameof(AccumulateGradBatches), value, "AccumulateGradBatches must be at least 1 batch.");
            if (!AtStepBoundary)
                throw new InvalidOperationException($"{pendingMicroBatches} micro-batches of gradients are pending; change the accumulation at an optimizer-step boundary (e.g. when an epoch starts).");
            scheduledAccumulation = value;
        }
    }

    /// <summary>Whether no micro-batch gradients are pending: the moments at which a checkpoint captures everything.</summary>
    public bool AtStepBoundary => pendingMicroBatches == 0;

    /// <summary>
    /// Called before every optimiser step that happens, with the step's number (what <see cref="GlobalStep"/> is after
    /// it): gradients are accumulated, synchronised and unscaled, not yet clipped (Lightning's
    /// <c>on_before_optimizer_step</c>). Gradients live on <see cref="Parameters"/>. Use it for gradient histograms.
    /// </summary>
    public Action<long>? BeforeOptimizerStep { get; set; }

    /// <summary>
    /// Called before the optimiser's gradients are zeroed, once per optimiser step at the start of its accumulation
    /// window, after the forward of its first micro-batch (Lightning's <c>on_before_zero_grad</c>); null costs nothing.
    /// </summary>
    public Action? BeforeZeroGrad { get; set; }

    /// <summary>
    /// Called before every backward with the loss it differentiates, divided by the accumulation count and not yet
    /// scaled by the precision (Lightning's <c>on_before_backward</c>); null costs nothing.
    /// </summary>
    public Action<Tensor>? BeforeBackward { get; set; }

    /// <summary>
    /// Called after every backward, while the gradients are still on the network's parameters (before mixed precision
    /// moves them to the fp32 masters) and before any synchronisation (Lightning's <c>on_after_backward</c>); null costs nothing.
    /// </summary>
    public Action? AfterBackward { get; set; }

    /// <summary>
    /// Runs one micro-batch: <paramref name="forward"/> computes the loss; the optimiser steps when
    /// <see cref="StepOptions.AccumulateGradBatches"/> micro-batches have accumulated or when <paramref name="isLastInEpoch"/>.
    /// A step-interval scheduler steps with the optimiser every <see cref="OptimizerConfig.Frequency"/> batches of the
    /// epoch, counted by <paramref name="batchIndex"/> (the 0-based batch of the epoch, as Lightning's
    /// <c>_update_learning_rates</c>), or every <see cref="OptimizerConfig.Frequency"/> optimiser steps without one.
    /// Returns the detached loss, owned by the caller.
    /// </summary>
    /// <exception cref="NonFiniteLossException">The loss is NaN or infinite and <see cref="StepOptions.SkipNonFiniteLoss"/> is off.</exception>
    /// <exception cref="InvalidOperationException">The kernel has several optimisers: step each with <see cref="ManualOptimizerStep"/>.</exception>
    public Tensor Step(Func<Tensor> forward, bool isLastInEpoch = false, int? batchIndex = null)
    {
        if (configs.Count > 1)
            throw new InvalidOperationException($"Step takes one optimizer step, and this kernel has {configs.Count} optimizers: step each under manual optimisation (ManualStep, ManualBackward, ManualOptimizerStep(optimizer: index)).");
        Precision.Activate();
        using var scope = NewDisposeScope();
        Tensor loss = InPrecision(forward);
        if (loss.numel() != 1)
            throw new InvalidOperationException($"The training step returned a tensor of shape [{string.Join(", ", loss.shape)}]; it must return the scalar loss.");
        int accumulate = AccumulateGradBatches;
        // Gradients are zeroed when a window starts, as Lightning and Ignite do (numerically the same as after the
        // previous step: nothing reads them in between), so that on_before_zero_grad sees the previous step's gradients.
        if (pendingMicroBatches == 0)
        {
            BeforeZeroGrad?.Invoke();
            optimizers.Optimizer.zero_grad();
            gradientsZeroed = true;
        }
        bool stepping = ++pendingMicroBatches == accumulate || isLastInEpoch;
        if (IsUsable(loss)) Backward(accumulate == 1 ? loss : loss / accumulate, stepping);
        if (stepping) OptimizerStep(options.GradientClipValue, options.GradientClipAlgorithm, stepSchedulers: true, batchIndex);
        return loss.detach().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Runs one training step under manual optimisation (Lightning's <c>_ManualOptimization.advance</c>): the precision
    /// and the dispose scope of <see cref="Step"/>, but <paramref name="step"/> itself calls <see cref="ManualBackward"/>,
    /// <see cref="ManualOptimizerStep"/> and zero grad. Returns the detached loss it returned, owned by the caller.
    /// </summary>
    public Tensor ManualStep(Func<Tensor> step)
    {
        Precision.Activate();
        using var scope = NewDisposeScope();
        return InPrecision(step).detach().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Backward of <paramref name="loss"/> as the automatic path does it (finite-loss check, gradient-sync preparation,
    /// the backward hooks, precision loss scaling and mixed-precision gradient transfer), for manual optimisation
    /// (Lightning's <c>manual_backward</c>). Call it inside <see cref="ManualStep"/>.
    /// </summary>
    /// <exception cref="NonFiniteLossException">The loss is NaN or infinite and <see cref="StepOptions.SkipNonFiniteLoss"/> is off.</exception>
    public void ManualBackward(Tensor loss)
    {
        if (loss.numel() != 1)
            throw new InvalidOperationException($"ManualBackward got a tensor of shape [{string.Join(", ", loss.shape)}]; pass the scalar loss.");
        // Whether a step follows is the module's choice, so communication is not overlapped with this backward: the
        // step averages the window's accumulated gradients at once (the same mean as Lightning's sync per backward).
        if (IsUsable(loss)) Backward(loss, stepping: false);
    }

    /// <summary>
    /// An optimiser step as the automatic path takes it (gradient sync, unscale and inf check, clipping with
    /// <paramref name="clipValue"/> when given, optimiser step, <see cref="GlobalStep"/> + 1), for manual optimisation;
    /// schedulers are left to the module, as Lightning does (training_epoch_loop.py <c>_update_learning_rates</c>).
    /// <paramref name="optimizer"/> picks the optimiser in <see cref="OptimizerConfigs"/>; clipping and the step touch only
    /// its parameters, and each step counts in <see cref="GlobalStep"/> (Lightning's manual loop counts every
    /// <c>optimizer.step()</c>). Returns whether the optimiser stepped (false: skipped, e.g. a non-finite gradient under 16-mixed).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="optimizer"/> is not an index of <see cref="OptimizerConfigs"/>.</exception>
    public bool ManualOptimizerStep(double? clipValue = null, GradientClipAlgorithm algorithm = GradientClipAlgorithm.Norm, int optimizer = 0)
    {
        if (optimizer < 0 || optimizer >= configs.Count)
            throw new ArgumentOutOfRangeException(nameof(optimizer), optimizer, $"The kernel has {configs.Count} optimizer(s): pass an index from 0 to {configs.Count - 1}.");
        long skipped = SkippedSteps;
        OptimizerStep(clipValue, algorithm, stepSchedulers: false, optimizer: optimizer);
        return SkippedSteps == skipped;
    }

    void Backward(Tensor normalised, bool stepping)
    {
        gradients?.BeforeBackward(stepping);
        InPrecision(() =>
        {
            BeforeBackward?.Invoke(normalised);
            Precision.ScaleLoss(normalised).backward();
            AfterBackward?.Invoke();
            return normalised;
        });
        Precision.AfterBackward(gradientsZeroed);
        Array.Fill(windowHasGradients, true);
        gradientsZeroed = false;
    }

    /// <summary>
    /// Steps an epoch-interval scheduler; the loop calls it once when a training epoch's batches are done. A
    /// <c>ReduceLROnPlateau</c> is left to <see cref="OptimizerConfig.StepOnPlateau"/>, after validation.
    /// </summary>
    public void EpochEnd(int epoch)
    {
        foreach (var config in configs)
            if (config is { Scheduler: { } scheduler, Interval: SchedulerInterval.Epoch, ReducesOnPlateau: false } && (epoch + 1) % config.Frequency == 0)
                scheduler.step();
    }

    /// <summary>
    /// Gives the network the parameters the optimiser updates (mixed precision trains on a low-precision copy); the
    /// loops call it when a fit ends. The next <see cref="Step"/> switches back.
    /// </summary>
    public void Finish() => Precision.Deactivate();

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">Micro-batch gradients are pending (not at a step boundary): they are not saved.</exception>
    public StateDict StateDict()
    {
        if (!AtStepBoundary)
            throw new InvalidOperationException($"{pendingMicroBatches} micro-batches of gradients are pending; save checkpoints at optimizer-step boundaries.");
        var state = new StateDict().Add("precision", Precision.StateDict());
        state.Values["global_step"] = GlobalStep;
        state.Values["skipped_steps"] = SkippedSteps;
        state.Values["precision_name"] = options.Precision;
        state.Values["accumulate_grad_batches"] = options.AccumulateGradBatches;
        // Only with several, so that single-optimizer checkpoints keep their contents.
        if (configs.Count > 1) state.Values["optimizer_count"] = configs.Count;
        return state;
    }

    /// <inheritdoc />
    public void LoadStateDict(StateDict state)
    {
        long step = state.Value<long>("global_step"), skipped = state.Value<long>("skipped_steps");
        if (step < 0 || skipped < 0 || skipped > step) throw new InvalidDataException($"Saved step counters are inconsistent: global_step {step}, skipped_steps {skipped}.");
        // Another precision or accumulation would continue with other steps than the saved run took (older files lack the values).
        if (state.Values.ContainsKey("precision_name") && state.Value<string>("precision_name") is { } precision && precision != options.Precision)
            throw new InvalidDataException($"The checkpoint was trained with precision '{precision}', this fit uses '{options.Precision}'; resume with the saved precision.");
        if (state.Values.ContainsKey("accumulate_grad_batches") && state.Value<int>("accumulate_grad_batches") is var accumulate && accumulate != options.AccumulateGradBatches)
            throw new InvalidDataException($"The checkpoint accumulated {accumulate} batches per step, this fit {options.AccumulateGradBatches}; resume with the saved accumulation.");
        ThrowIfOtherOptimizerCount(state);
        Precision.LoadStateDict(state.Part("precision"));
        (GlobalStep, SkippedSteps, pendingMicroBatches) = (step, skipped, 0);
        Array.Clear(windowHasGradients);
        Resumed = true;
    }

    /// <summary>
    /// Lets only optimiser <paramref name="index"/>'s parameters require gradients, so that a backward for it leaves the
    /// others' gradients alone (Lightning's <c>toggle_optimizer</c>): every other optimiser's parameter stops requiring
    /// them, its own keep what they had (a parameter frozen by the module stays frozen). Under mixed precision the
    /// compute copies follow. Dispose the result to give every parameter its own setting back (<c>untoggle_optimizer</c>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not an index of <see cref="OptimizerConfigs"/>.</exception>
    public IDisposable ToggleOptimizer(int index)
    {
        if (index < 0 || index >= configs.Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"The kernel has {configs.Count} optimizer(s): pass an index from 0 to {configs.Count - 1}.");
        var own = parametersOf[index].Select(p => p.Handle).ToHashSet();
        var saved = Parameters.Select(p => (Parameter: p, p.requires_grad)).ToList();
        foreach (var (parameter, _) in saved)
            if (!own.Contains(parameter.Handle)) SetRequiresGrad(parameter, false);
        return new Restore(() =>
        {
            foreach (var (parameter, requiresGrad) in saved) SetRequiresGrad(parameter, requiresGrad);
        });
    }

    void SetRequiresGrad(Parameter parameter, bool value)
    {
        parameter.requires_grad = value;
        if (Precision.ComputeCopy(parameter) is { } copy) copy.requires_grad = value;
    }

    sealed class Restore(Action restore) : IDisposable
    {
        Action? pending = restore;

        public void Dispose()
        {
            pending?.Invoke();
            pending = null;
        }
    }

    /// <summary>Throws when <paramref name="state"/> (this kernel's saved state) was trained with another number of optimisers.</summary>
    /// <exception cref="InvalidDataException">The counts differ.</exception>
    public void ThrowIfOtherOptimizerCount(StateDict state)
    {
        ArgumentNullException.ThrowIfNull(state);
        int saved = state.Values.ContainsKey("optimizer_count") ? state.Value<int>("optimizer_count") : 1;
        if (saved != configs.Count)
            throw new InvalidDataException($"The checkpoint was trained with {saved} optimizer(s), this fit configures {configs.Count}; resume with the same ConfigureOptimizers.");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Precision.Dispose();
        Fused?.Dispose();
    }

    static List<Parameter> PinParameters(optim.Optimizer optimizer)
    {
        // Optimisers keep the enumerable they were given; a lazy Network.parameters() would be re-read at every
        // step and, under mixed precision, yield the compute copies instead of the fp32 masters.
        foreach (var group in optimizer.ParamGroups.OfType<ParamGroup>()) group.Parameters = [.. group.Parameters];
        return [.. optimizer.parameters()];
    }

    bool IsUsable(Tensor loss)
    {
        // 16-mixed leaves overflow to its scaler. Otherwise one host read of the scalar: a fraction of a microsecond on
        // CPU, where isfinite().all().item() took about 20 (three kernels and two tensors per step).
        if (!Precision.ChecksLossFiniteness) return true;
        double value = loss.ToDouble();
        if (double.IsFinite(value)) return true;
        if (options.SkipNonFiniteLoss) return false;
        throw new NonFiniteLossException(value, GlobalStep, pendingMicroBatches);
    }

    void OptimizerStep(double? clipValue, GradientClipAlgorithm algorithm, bool stepSchedulers, int? batchIndex = null, int optimizer = 0)
    {
        var (config, parameters) = (configs[optimizer], parametersOf[optimizer]);
        bool stepped = false, hasGradients = windowHasGradients[optimizer];
        SteppingOptimizer = optimizer;
        if (gradients is not null)
        {
            // Also after a window whose losses were all skipped: the other ranks wait for this one's gradients.
            gradients.AfterBackward();
            hasGradients = gradients.ShouldStep(hasGradients);
        }
        if (hasGradients)
        {
            stepped = Precision.PrepareStep(parameters);
            if (stepped)
            {
                BeforeOptimizerStep?.Invoke(GlobalStep + 1);
                Clip(clipValue, algorithm, parameters);
                if (Fused is not null) Fused.Step();
                else config.Optimizer.step();
            }
            Precision.AfterStep(stepped);
        }
        GlobalStep++;
        if (!stepped) SkippedSteps++;
        // A skipped step must not advance the schedule (Lightning's AMP path does; that is a known bug).
        else if (stepSchedulers && config is { Scheduler: { } scheduler, Interval: SchedulerInterval.Step, ReducesOnPlateau: false } && (batchIndex + 1 ?? GlobalStep) % config.Frequency == 0)
            scheduler.step();
        pendingMicroBatches = 0;
        windowHasGradients[optimizer] = false;
    }

    static void Clip(double? clipValue, GradientClipAlgorithm algorithm, List<Parameter> parameters)
    {
        if (clipValue is not double clip) return;
        if (algorithm == GradientClipAlgorithm.Norm) nn.utils.clip_grad_norm_(parameters, clip);
        else nn.utils.clip_grad_value_(parameters, clip);
    }

    Tensor InPrecision(Func<Tensor> run)
    {
        try { return run(); }
        catch (ExternalException e) when (Precision.ComputeType is ScalarType.Float16 or ScalarType.BFloat16
            && (e.Message.Contains("Half", StringComparison.Ordinal) || e.Message.Contains("BFloat16", StringComparison.Ordinal)))
        {
            throw new NotSupportedException(
                $"An operation of the step does not support precision '{Precision.Name}' on this device: {e.Message.Split('\n')[0]} " +
                "Use '32-true', or 'bf16-mixed' on CPU.", e);
        }
    }
}
