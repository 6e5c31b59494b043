using Microsoft.Extensions.Logging;
using Unified.Core.Distributed;
using Unified.Core.Logging;
using Unified.Core.Data;
using Unified.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

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

    /// <summary>
    /// The ranks to train data-parallel over (Ignite's <c>idist</c> backend), e.g. <c>ProcessGroups.FromEnvironment()</c>
    /// under <c>mpirun</c>; null (default) trains in this process alone. With several ranks the trainer broadcasts rank
    /// 0's weights, averages gradients every step, reduces the logged means over ranks, and ends every rank when one
    /// fails; give each rank its shard of the data (<c>new ShardedDataModule(data, group)</c>).
    /// </summary>
    public IProcessGroup? ProcessGroup { get; set; }

    /// <summary>Bucket size, overlap and batch-norm synchronisation when <see cref="ProcessGroup"/> has several ranks.</summary>
    public DdpOptions Ddp { get; set; } = new();

    /// <summary>Micro-batches per optimiser step (Ignite's <c>gradient_accumulation_steps</c>).</summary>
    public int GradientAccumulationSteps { get; set; } = 1;

    /// <summary>Gradient clip threshold; null disables clipping.</summary>
    public double? ClipGradient { get; set; }

    /// <summary>Clip by norm (default) or by value.</summary>
    public GradientClipAlgorithm ClipAlgorithm { get; set; } = GradientClipAlgorithm.Norm;

    /// <summary>Skip an optimiser step whose loss is NaN or infinite instead of failing the run (see <see cref="StepOptions.SkipNonFiniteLoss"/>).</summary>
    public bool SkipNonFiniteLoss { get; set; }

    /// <summary>
    /// Experiment loggers the trainer records to, as the Lightning trainer does: the module's hyper-parameters at the
    /// start, <c>State.Metrics</c> with <c>epoch</c> at every epoch's end (after the epoch's <c>EpochCompleted</c>
    /// handlers, so that validation metrics copied there are included), finished with the run's status. For custom
    /// logging on any engine, attach handlers instead (<see cref="LoggerHandlers"/>).
    /// </summary>
    public IList<IExperimentLogger> Loggers { get; } = new List<IExperimentLogger>();

    /// <summary>Log the step's loss as <c>train_loss_step</c> every this many optimiser steps (default 50); null or 0 for epochs only.</summary>
    public int? LogEveryNSteps { get; set; } = 50;

    /// <summary>Histograms of weights and gradients for <see cref="Loggers"/>; null for none.</summary>
    public HistogramOptions? Histograms { get; set; }

    /// <summary>
    /// Reseed libtorch's generator before every iteration from (seed, iteration), as Ignite's <c>deterministic=True</c>
    /// (the trainer is a <see cref="DeterministicEngine"/>): a resumed run replays the same dropout with no generator state.
    /// </summary>
    public bool Deterministic { get; set; }

    /// <summary>
    /// Moves a batch to the device (and transforms it), as Ignite's <c>prepare_batch(batch, device, non_blocking)</c>;
    /// it owns the batch it is given. Default: <c>batch.MoveTo(device)</c>.
    /// </summary>
    public Func<Batch, Device, Batch>? PrepareBatch { get; set; }

    /// <summary>
    /// An LR scheduler for the optimiser of <c>CreateTrainer(model, optimizer, lossFn)</c> (a module's
    /// <c>ConfigureOptimizers</c> returns its own), stepped by the kernel every <see cref="SchedulerInterval"/> and saved
    /// in the checkpoint as <c>lr_scheduler</c>.
    /// </summary>
    public optim.lr_scheduler.LRScheduler? Scheduler { get; set; }

    /// <summary>When <see cref="Scheduler"/> steps: every epoch (default) or every optimiser step.</summary>
    public SchedulerInterval SchedulerInterval { get; set; } = SchedulerInterval.Epoch;

    /// <summary>Where the trainer's <see cref="ILogger"/> events go; null for none.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    internal FitRecorderOptions RecorderOptions(bool isGlobalZero = true)
    {
        var recorder = new FitRecorderOptions
        {
            Framework = "ignite",
            Loggers = isGlobalZero ? [.. Loggers] : [],
            LogEveryNSteps = LogEveryNSteps,
            Histograms = Histograms,
            LoggerFactory = LoggerFactory,
        };
        recorder.Validate();
        return recorder;
    }

    internal StepOptions StepOptions()
    {
        var step = new StepOptions { AccumulateGradBatches = GradientAccumulationSteps, GradientClipValue = ClipGradient, GradientClipAlgorithm = ClipAlgorithm, Precision = Precision,
            SkipNonFiniteLoss = SkipNonFiniteLoss };
        step.Validate(nameof(GradientAccumulationSteps), nameof(ClipGradient));
        return step;
    }
}
