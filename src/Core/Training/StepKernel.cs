using TorchSharp;
using Unified.Core.State;
using static TorchSharp.torch;

namespace Unified.Core.Training;

/// <summary>
/// The one place where an optimisation step happens, for both front-ends: forward closure → backward (loss divided
/// by the accumulation count) → at an accumulation boundary: clip → optimiser step → step-interval scheduler → zero
/// grad. One dispose scope per call, so step code needs no <c>using</c>; no host sync.
/// </summary>
public sealed class StepKernel : IStateful
{
    readonly nn.Module network;
    readonly OptimizerConfig optimizers;
    readonly StepOptions options;
    int pendingMicroBatches;

    /// <summary>Creates the kernel for <paramref name="network"/> stepped by <paramref name="optimizers"/>.</summary>
    public StepKernel(nn.Module network, OptimizerConfig optimizers, StepOptions? options = null)
    {
        this.options = options ?? new StepOptions();
        this.options.Validate();
        optimizers.Validate();
        (this.network, this.optimizers) = (network, optimizers);
    }

    /// <summary>Optimiser steps taken (Lightning's <c>global_step</c>).</summary>
    public long GlobalStep { get; private set; }

    /// <summary>The optimiser and scheduler this kernel steps (their state goes into checkpoints).</summary>
    public OptimizerConfig Optimizers => optimizers;

    /// <summary>Whether no micro-batch gradients are pending: the moments at which a checkpoint captures everything.</summary>
    public bool AtStepBoundary => pendingMicroBatches == 0;

    /// <summary>The kernel's counters (<c>global_step</c>).</summary>
    /// <exception cref="InvalidOperationException">Micro-batch gradients are pending (not at a step boundary).</exception>
    public StateDict StateDict()
    {
        if (!AtStepBoundary)
            throw new InvalidOperationException($"{pendingMicroBatches} micro-batches of gradients are pending; save checkpoints at optimizer-step boundaries.");
        var state = new StateDict();
        state.Values["global_step"] = GlobalStep;
        return state;
    }

    /// <inheritdoc />
    public void LoadStateDict(StateDict state)
    {
        long step = state.Value<long>("global_step");
        if (step < 0) throw new InvalidDataException($"The kernel state's global_step is {step}; it must not be negative.");
        (GlobalStep, pendingMicroBatches) = (step, 0);
    }

    /// <summary>
    /// Runs one micro-batch: <paramref name="forward"/> computes the loss; the optimiser steps when
    /// <see cref="StepOptions.AccumulateGradBatches"/> micro-batches have accumulated or when <paramref name="isLastInEpoch"/>.
    /// Returns the detached loss, owned by the caller.
    /// </summary>
    public Tensor Step(Func<Tensor> forward, bool isLastInEpoch = false)
    {
        using var scope = NewDisposeScope();
        Tensor loss = forward();
        if (loss.numel() != 1)
            throw new InvalidOperationException($"The training step returned a tensor of shape [{string.Join(", ", loss.shape)}]; it must return the scalar loss.");
        int accumulate = options.AccumulateGradBatches;
        (accumulate == 1 ? loss : loss / accumulate).backward();
        pendingMicroBatches++;
        if (pendingMicroBatches == accumulate || isLastInEpoch) OptimizerStep();
        return loss.detach().MoveToOuterDisposeScope();
    }

    /// <summary>Steps an epoch-interval scheduler; the loop calls it once after every training epoch.</summary>
    public void EpochEnd(int epoch)
    {
        if (optimizers is { Scheduler: { } scheduler, Interval: SchedulerInterval.Epoch } && (epoch + 1) % optimizers.Frequency == 0)
            scheduler.step();
    }

    void OptimizerStep()
    {
        if (options.GradientClipValue is double clip)
        {
            var parameters = network.parameters();
            if (options.GradientClipAlgorithm == GradientClipAlgorithm.Norm) nn.utils.clip_grad_norm_(parameters, clip);
            else nn.utils.clip_grad_value_(parameters, clip);
        }
        optimizers.Optimizer.step();
        GlobalStep++;
        if (optimizers is { Scheduler: { } scheduler, Interval: SchedulerInterval.Step } && GlobalStep % optimizers.Frequency == 0)
            scheduler.step();
        optimizers.Optimizer.zero_grad();
        pendingMicroBatches = 0;
    }
}
