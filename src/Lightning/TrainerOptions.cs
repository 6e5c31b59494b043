using Microsoft.Extensions.Logging;
using Unified.Core.Accelerators;
using Unified.Core.Distributed;
using Unified.Core.Logging;
using Unified.Core.Training;

namespace Unified.Lightning;

/// <summary>How a <see cref="Trainer"/> runs, as the arguments of Lightning's <c>Trainer(...)</c>.</summary>
public sealed class TrainerOptions
{
    /// <summary>Training epochs (default 1000, as Lightning's).</summary>
    public int MaxEpochs { get; set; } = 1000;

    /// <summary>
    /// Stop after this many optimiser steps (Lightning's <c>max_steps</c>); null: no limit. Stopping mid-epoch still
    /// validates, logs and calls the epoch-end hooks, but records the position inside the epoch: a fit resumed with more
    /// steps or epochs continues there and ends as an uninterrupted fit would.
    /// </summary>
    public long? MaxSteps { get; set; }

    /// <summary>Seed applied with <c>Seed.Everything</c> when fitting starts; null leaves the generators as they are.</summary>
    public long? Seed { get; set; }

    /// <summary><c>cpu</c>, <c>cuda</c> or <c>auto</c> (default).</summary>
    public string Accelerator { get; set; } = "auto";

    /// <summary>
    /// Lightning's <c>strategy</c>: <c>auto</c> (default: data-parallel when the process was launched as one of several,
    /// e.g. by <c>mpirun</c>) or <c>ddp</c> (distributed data parallel over MPI: gradients averaged every step, data
    /// sharded per rank, metrics reduced over ranks; every rank runs the same program).
    /// </summary>
    public string Strategy { get; set; } = "auto";

    /// <summary>Processes per machine (Lightning's <c>devices</c>); null (default) takes what the launch has.</summary>
    public int? Devices { get; set; }

    /// <summary>Machines (Lightning's <c>num_nodes</c>, default 1): <c>mpirun --hostfile</c> starts the processes on them.</summary>
    public int NumNodes { get; set; } = 1;

    /// <summary>Normalise batch-norm layers over the global batch under <c>ddp</c> (Lightning's <c>sync_batchnorm</c>).</summary>
    public bool SyncBatchnorm { get; set; }

    /// <summary>Bucket size and backward overlap of the <c>ddp</c> strategy (Lightning's <c>DDPStrategy(bucket_cap_mb=…)</c>).</summary>
    public DdpOptions Ddp { get; set; } = new();

    /// <summary>Lightning's <c>precision</c>: <c>32-true</c> (default), <c>bf16-mixed</c>, <c>16-mixed</c>, <c>bf16-true</c>, <c>16-true</c>, <c>64-true</c>.</summary>
    public string Precision { get; set; } = "32-true";

    /// <summary>Micro-batches per optimiser step (Lightning's <c>accumulate_grad_batches</c>).</summary>
    public int AccumulateGradBatches { get; set; } = 1;

    /// <summary>Gradient clip threshold (Lightning's <c>gradient_clip_val</c>); null disables clipping.</summary>
    public double? GradientClipVal { get; set; }

    /// <summary>Clip by norm (default) or by value (Lightning's <c>gradient_clip_algorithm</c>).</summary>
    public GradientClipAlgorithm GradientClipAlgorithm { get; set; } = GradientClipAlgorithm.Norm;

    /// <summary>Skip an optimiser step whose loss is NaN or infinite instead of failing the fit (see <see cref="Core.Training.StepOptions.SkipNonFiniteLoss"/>).</summary>
    public bool SkipNonFiniteLoss { get; set; }

    /// <summary>Training batches per epoch (Lightning's <c>limit_train_batches</c> as a count); null runs them all.</summary>
    public int? LimitTrainBatches { get; set; }

    /// <summary>Test batches per <see cref="Trainer.Test"/>; null runs them all.</summary>
    public int? LimitTestBatches { get; set; }

    /// <summary>Batches per <see cref="Trainer.Predict"/>; null predicts them all.</summary>
    public int? LimitPredictBatches { get; set; }

    /// <summary>Validation batches per epoch; null runs them all, 0 skips validation.</summary>
    public int? LimitValBatches { get; set; }

    /// <summary>
    /// Validation batches run before training starts, so that a broken validation step fails in seconds (Lightning's
    /// <c>num_sanity_val_steps</c>, default 2; -1 runs them all, 0 none). Skipped on resume; what they log is dropped.
    /// </summary>
    public int NumSanityValSteps { get; set; } = 2;

    /// <summary>Callbacks, called in order.</summary>
    public IList<Callback> Callbacks { get; } = new List<Callback>();

    /// <summary>
    /// Experiment loggers (Lightning's <c>logger</c>): the module's hyper-parameters at the start, every epoch's
    /// logged means with <c>epoch</c> at the epoch's global step, flushed then, finished with the run's status (also
    /// when the fit fails). Only rank 0 logs. A logger that fails is a warning; training goes on.
    /// </summary>
    /// <example><code>options.Loggers.Add(new TensorBoardLogger(new TensorBoardLoggerOptions { SaveDir = "logs" }));</code></example>
    public IList<IExperimentLogger> Loggers { get; } = new List<IExperimentLogger>();

    /// <summary>Log the step's loss as <c>train_loss_step</c> every this many optimiser steps (Lightning's <c>log_every_n_steps</c>, default 50); null or 0 for epochs only.</summary>
    public int? LogEveryNSteps { get; set; } = 50;

    /// <summary>Histograms of weights and gradients for the loggers; null for none.</summary>
    public HistogramOptions? Histograms { get; set; }

    /// <summary>Where the trainer's <see cref="ILogger"/> events go (fit started, epoch completed, logger warnings); null for none.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>
    /// Show a <see cref="ProgressBar"/> (Lightning's <c>enable_progress_bar</c>, default true): a live display on a
    /// terminal, one line per epoch otherwise; a <see cref="ProgressBar"/> among <see cref="Callbacks"/> is used instead.
    /// </summary>
    public bool EnableProgressBar { get; set; } = true;

    /// <summary>Print a <see cref="ModelSummary"/> when fitting starts (Lightning's <c>enable_model_summary</c>, default true).</summary>
    public bool EnableModelSummary { get; set; } = true;

    /// <summary>Where the default progress bar and model summary write (null: the console).</summary>
    public TextWriter? ProgressOutput { get; set; }

    /// <summary>Throws when a value is out of range, naming the field and the allowed values.</summary>
    public void Validate()
    {
        if (MaxEpochs < 1) throw new ArgumentOutOfRangeException(nameof(MaxEpochs), MaxEpochs, "MaxEpochs must be a positive integer.");
        if (MaxSteps is < 1) throw new ArgumentOutOfRangeException(nameof(MaxSteps), MaxSteps, "MaxSteps must be a positive integer (or null for no limit).");
        if (NumSanityValSteps < -1) throw new ArgumentOutOfRangeException(nameof(NumSanityValSteps), NumSanityValSteps, "NumSanityValSteps must be -1 (all), 0 (none) or a positive count.");
        if (LimitTrainBatches is < 1) throw new ArgumentOutOfRangeException(nameof(LimitTrainBatches), LimitTrainBatches, "LimitTrainBatches must be a positive count (or null for all).");
        if (LimitTestBatches is < 1) throw new ArgumentOutOfRangeException(nameof(LimitTestBatches), LimitTestBatches, "LimitTestBatches must be a positive count (or null for all).");
        if (LimitPredictBatches is < 1) throw new ArgumentOutOfRangeException(nameof(LimitPredictBatches), LimitPredictBatches, "LimitPredictBatches must be a positive count (or null for all).");
        if (LimitValBatches is < 0) throw new ArgumentOutOfRangeException(nameof(LimitValBatches), LimitValBatches, "LimitValBatches must be 0 or more (or null for all).");
        Core.Accelerators.Accelerator.ThrowIfUnknown(Accelerator, nameof(Accelerator));
        DdpStrategy.ThrowIfInvalid(Strategy, Devices, NumNodes, nameof(Strategy), nameof(Devices), nameof(NumNodes));
        Ddp.Validate();
        StepOptions().Validate(nameof(AccumulateGradBatches), nameof(GradientClipVal));
        RecorderOptions().Validate();
    }

    internal DdpOptions DdpOptions() => new()
    {
        BucketCapMb = Ddp.BucketCapMb,
        BroadcastBuffers = Ddp.BroadcastBuffers,
        OverlapWithBackward = Ddp.OverlapWithBackward,
        SyncBatchNorm = SyncBatchnorm || Ddp.SyncBatchNorm,
    };

    // Under ddp only rank 0 writes to the experiment loggers (every rank records the same reduced epoch metrics).
    internal FitRecorderOptions RecorderOptions(bool isGlobalZero = true) => new()
    {
        Framework = "lightning",
        Loggers = isGlobalZero ? [.. Loggers] : [],
        LogEveryNSteps = LogEveryNSteps,
        Histograms = Histograms,
        LoggerFactory = LoggerFactory,
    };

    internal StepOptions StepOptions() => new()
    {
        AccumulateGradBatches = AccumulateGradBatches,
        GradientClipValue = GradientClipVal,
        GradientClipAlgorithm = GradientClipAlgorithm,
        Precision = Precision,
        SkipNonFiniteLoss = SkipNonFiniteLoss,
    };
}
