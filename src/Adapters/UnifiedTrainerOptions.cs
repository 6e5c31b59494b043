using Microsoft.Extensions.Logging;
using Unified.Core.Checkpointing;
using Unified.Core.Distributed;
using Unified.Core.Logging;
using Unified.Core.Training;
using Unified.Ignite;
using Unified.Lightning;

namespace Unified.Adapters;

/// <summary>Options that mean the same in both front-ends.</summary>
public sealed class UnifiedTrainerOptions
{
    /// <summary>Training epochs (default 1).</summary>
    public int MaxEpochs { get; set; } = 1;

    /// <summary>Stop after this many optimiser steps (finishing that epoch's end); null: no limit.</summary>
    public long? MaxSteps { get; set; }

    /// <summary>Folder for checkpoints: <c>last.ckpt</c> after every epoch (and every <see cref="CheckpointEveryNSteps"/> steps) and on cancellation; null: none (a shortcut for <see cref="Checkpoints"/>).</summary>
    public string? CheckpointDir { get => Checkpoints.DirPath; set => Checkpoints = Checkpoints with { DirPath = value }; }

    /// <summary>Also checkpoint every n optimiser steps (needs <see cref="CheckpointDir"/>); null: per epoch only (a shortcut for <see cref="Checkpoints"/>).</summary>
    public int? CheckpointEveryNSteps { get => Checkpoints.EveryNTrainSteps; set => Checkpoints = Checkpoints with { EveryNTrainSteps = value }; }

    /// <summary>
    /// The rolling <c>last.ckpt</c> and the best-k checkpoints by a monitored metric: Lightning's <c>ModelCheckpoint</c>,
    /// Ignite's <c>Checkpoint</c> handlers.
    /// </summary>
    /// <example><code>options.Checkpoints = new CheckpointPolicy { DirPath = "ckpt", SaveTopK = 2, Monitor = "val_loss" };</code></example>
    public CheckpointPolicy Checkpoints { get; set; } = new();

    /// <summary>Stop when the monitored metric stops improving: Lightning's <c>EarlyStopping</c> callback, Ignite's <c>EarlyStopping</c> handler; null for none.</summary>
    public EarlyStoppingPolicy? EarlyStopping { get; set; }

    /// <summary>Stop after this much wall time at an optimiser-step boundary, finishing that epoch's end (Lightning's <c>max_time</c>, Ignite's <c>TimeLimit</c>); null for none.</summary>
    public TimeSpan? MaxTime { get; set; }

    /// <summary>Validation batches run before training (not on resume), so that a broken validation step fails early (Lightning's <c>num_sanity_val_steps</c>, default 2; -1 all, 0 none).</summary>
    public int NumSanityValSteps { get; set; } = 2;

    /// <summary>Lightning callbacks, used when the framework is <c>lightning</c> (after the ones the options above make).</summary>
    public IList<Callback> Callbacks { get; private set; } = new List<Callback>();

    /// <summary>Ignite handlers, attached to the trainer when the framework is <c>ignite</c> (before the ones the options above make).</summary>
    public IList<ITrainerHandler> Handlers { get; private set; } = new List<ITrainerHandler>();

    /// <summary>A checkpoint to resume from: the fit continues where it was saved, up to <see cref="MaxEpochs"/> / <see cref="MaxSteps"/>.</summary>
    public string? ResumeFrom { get; set; }

    /// <summary>Seed applied when fitting starts (data order is seeded by the data module); null leaves generators as they are.</summary>
    public long? Seed { get; set; }

    /// <summary><c>cpu</c>, <c>cuda</c> or <c>auto</c> (default).</summary>
    public string Accelerator { get; set; } = "auto";

    /// <summary>Numerics of the step: <c>32-true</c> (default), <c>bf16-mixed</c>, <c>16-mixed</c>, <c>bf16-true</c>, <c>16-true</c>, <c>64-true</c>.</summary>
    public string Precision { get; set; } = "32-true";

    /// <summary><c>auto</c> (default: data-parallel when launched as several processes, e.g. by <c>mpirun</c>) or <c>ddp</c>.</summary>
    public string Strategy { get; set; } = "auto";

    /// <summary>Processes per machine; null (default) takes what the launch has.</summary>
    public int? Devices { get; set; }

    /// <summary>Machines of the launch (default 1).</summary>
    public int NumNodes { get; set; } = 1;

    /// <summary>Bucket size, overlap and batch-norm synchronisation of data-parallel training.</summary>
    public DdpOptions Ddp { get; set; } = new();

    /// <summary>Micro-batches per optimiser step.</summary>
    public int AccumulateGradBatches { get; set; } = 1;

    /// <summary>Gradient clip threshold; null disables clipping.</summary>
    public double? GradientClipValue { get; set; }

    /// <summary>Clip by norm (default) or by value.</summary>
    public GradientClipAlgorithm GradientClipAlgorithm { get; set; } = GradientClipAlgorithm.Norm;

    /// <summary>Skip an optimiser step whose loss is NaN or infinite instead of failing the fit.</summary>
    public bool SkipNonFiniteLoss { get; set; }

    /// <summary>Whether to validate after every epoch (default true).</summary>
    public bool Validate { get; set; } = true;

    /// <summary>Validate after every n-th epoch (default 1): Lightning's <c>check_val_every_n_epoch</c>, Ignite's evaluator on <c>EPOCH_COMPLETED(every=n)</c>.</summary>
    public int CheckValEveryNEpoch { get; set; } = 1;

    /// <summary>Log the optimisers' learning rates to <see cref="Loggers"/> as <c>lr-Adam</c> …: Lightning's <c>LearningRateMonitor</c> callback, Ignite's <c>OptimizerParamsHandler</c>; null for none.</summary>
    /// <example><code>options.LearningRateMonitor = new LearningRateMonitorPolicy { LoggingInterval = SchedulerInterval.Step };</code></example>
    public LearningRateMonitorPolicy? LearningRateMonitor { get; set; }

    /// <summary>Called after every training step with its report (the loss stays on the device until read).</summary>
    public Action<StepReport>? OnStep { get; set; }

    /// <summary>Called after every epoch (training and validation) with its result.</summary>
    public Action<EpochResult>? OnEpoch { get; set; }

    /// <summary>
    /// Experiment loggers (CSV, TensorBoard, MLflow), used the same way by both front-ends: hyper-parameters at the
    /// start, every epoch's metrics (validation included) with <c>epoch</c> at the epoch's optimiser step, flushed
    /// then, finished with the run's status. A logger that fails is a warning; training goes on.
    /// </summary>
    public IList<IExperimentLogger> Loggers { get; private set; } = new List<IExperimentLogger>();

    /// <summary>Log the step's loss as <c>train_loss_step</c> every this many optimiser steps (default 50); null or 0 for epochs only.</summary>
    public int? LogEveryNSteps { get; set; } = 50;

    /// <summary>Histograms of weights and gradients for the loggers; null for none.</summary>
    public HistogramOptions? Histograms { get; set; }

    /// <summary>Where the front-ends' <see cref="ILogger"/> events go (fit progress, logger warnings); null for none.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>A copy with lists of its own (loggers, callbacks, handlers hold the same items), so that adding to one leaves the other as it was; <see cref="Ddp"/> and <see cref="Histograms"/> are shared.</summary>
    public UnifiedTrainerOptions Clone()
    {
        var copy = (UnifiedTrainerOptions)MemberwiseClone();
        (copy.Loggers, copy.Callbacks, copy.Handlers) = ([.. Loggers], [.. Callbacks], [.. Handlers]);
        return copy;
    }

    /// <summary>Throws when a value is out of range, naming the field and the allowed values.</summary>
    public void Check()
    {
        if (MaxEpochs < 1) throw new ArgumentOutOfRangeException(nameof(MaxEpochs), MaxEpochs, "MaxEpochs must be a positive integer.");
        Core.Accelerators.Accelerator.ThrowIfUnknown(Accelerator, nameof(Accelerator));
        if (MaxSteps is < 1) throw new ArgumentOutOfRangeException(nameof(MaxSteps), MaxSteps, "MaxSteps must be a positive integer (or null for no limit).");
        if (CheckpointEveryNSteps is < 1) throw new ArgumentOutOfRangeException(nameof(CheckpointEveryNSteps), CheckpointEveryNSteps, "CheckpointEveryNSteps must be a positive integer (or null).");
        if (CheckpointEveryNSteps is not null && CheckpointDir is null)
            throw new ArgumentException("CheckpointEveryNSteps needs CheckpointDir to say where checkpoints go.", nameof(CheckpointDir));
        Checkpoints.Validate();
        EarlyStopping?.Validate();
        if (MaxTime is { } time && time <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(MaxTime), MaxTime, "MaxTime must be positive (or null for no limit).");
        if (CheckValEveryNEpoch < 1) throw new ArgumentOutOfRangeException(nameof(CheckValEveryNEpoch), CheckValEveryNEpoch, "CheckValEveryNEpoch must be a positive integer (1 validates after every epoch).");
        LearningRateMonitor?.Validate();
        if (LearningRateMonitor is not null && Loggers.Count == 0)
            throw new ArgumentException("LearningRateMonitor needs a logger to write to; add one to Loggers (e.g. a CsvLogger) or set LearningRateMonitor to null.", nameof(LearningRateMonitor));
        if (NumSanityValSteps < -1) throw new ArgumentOutOfRangeException(nameof(NumSanityValSteps), NumSanityValSteps, "NumSanityValSteps must be -1 (all), 0 (none) or a positive count.");
        if (EarlyStopping is not null && !Validate && EarlyStopping.Monitor.StartsWith("val_", StringComparison.Ordinal))
            throw new ArgumentException($"EarlyStopping monitors '{EarlyStopping.Monitor}' but Validate is false; turn validation on or monitor a training metric.", nameof(EarlyStopping));
        DdpStrategy.ThrowIfInvalid(Strategy, Devices, NumNodes);
        Ddp.Validate();
        new StepOptions { AccumulateGradBatches = AccumulateGradBatches, GradientClipValue = GradientClipValue, Precision = Precision }.Validate();
    }
}
