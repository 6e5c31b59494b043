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

    /// <summary>Training batches per epoch (Lightning's <c>limit_train_batches</c>): a count or a fraction; null runs them all.</summary>
    public BatchLimit? LimitTrainBatches { get; set; }

    /// <summary>Test batches per <see cref="Trainer.Test"/>: a count or a fraction; null runs them all.</summary>
    public BatchLimit? LimitTestBatches { get; set; }

    /// <summary>Batches per <see cref="Trainer.Predict"/>: a count or a fraction; null predicts them all.</summary>
    public BatchLimit? LimitPredictBatches { get; set; }

    /// <summary>Validation batches per validation run: a count or a fraction; null runs them all, 0 skips validation.</summary>
    public BatchLimit? LimitValBatches { get; set; }

    /// <summary>Train at least this many epochs before a callback's <see cref="TrainerView.ShouldStop"/> (or <see cref="MaxTime"/>) may end the fit (Lightning's <c>min_epochs</c>).</summary>
    public int? MinEpochs { get; set; }

    /// <summary>Take at least this many optimiser steps before a stop request may end the fit (Lightning's <c>min_steps</c>).</summary>
    public long? MinSteps { get; set; }

    /// <summary>Stop the fit (as a success) once it has run this long, checked after every batch (Lightning's <c>max_time</c>); null: no limit.</summary>
    public TimeSpan? MaxTime { get; set; }

    /// <summary>
    /// Validate within the epoch (Lightning's <c>val_check_interval</c>): a fraction of the epoch (default 1.0: at its
    /// end) or every this many training batches; the epoch's end validates when its last batch is such a batch.
    /// </summary>
    public BatchLimit ValCheckInterval { get; set; } = 1.0;

    /// <summary>Validate in every n-th epoch only (Lightning's <c>check_val_every_n_epoch</c>, default 1).</summary>
    public int CheckValEveryNEpoch { get; set; } = 1;

    /// <summary>
    /// A quick check of the whole pipeline (Lightning's <c>fast_dev_run</c>): n batches of training, validation, test
    /// and predict, one epoch, no sanity check, no loggers, no checkpoints or early stopping. Null (default) is off; 1 is Lightning's <c>True</c>.
    /// </summary>
    public int? FastDevRun { get; set; }

    /// <summary>
    /// Train and validate on the same first batches every epoch, in the first epoch's order (Lightning's
    /// <c>overfit_batches</c>), to check that the model can fit them; null (default) is off.
    /// </summary>
    public BatchLimit? OverfitBatches { get; set; }

    /// <summary>
    /// Require reproducible kernels (Lightning's <c>deterministic</c>). CPU kernels are deterministic; TorchSharp 0.107
    /// has no <c>torch.use_deterministic_algorithms</c>, so on CUDA the fit is refused rather than silently not deterministic.
    /// </summary>
    public bool Deterministic { get; set; }

    /// <summary>Where the default checkpoints go (Lightning's <c>default_root_dir</c>, default the current folder): <c>lightning_logs/version_N/checkpoints</c> under it.</summary>
    public string DefaultRootDir { get; set; } = ".";

    /// <summary>
    /// Add a <see cref="ModelCheckpoint"/> (the last epoch's checkpoint, in <see cref="DefaultRootDir"/>'s
    /// <c>lightning_logs/version_N/checkpoints</c>, a new version per fit) when the callbacks have none (Lightning's
    /// <c>enable_checkpointing</c>, default true).
    /// </summary>
    public bool EnableCheckpointing { get; set; } = true;

    /// <summary>
    /// Write checkpoints off the training thread, as Lightning's <c>Trainer(plugins=[AsyncCheckpointIO()])</c>: a save
    /// takes a CPU snapshot and returns; the file is written, flushed and renamed in the background, one at a time, with
    /// the same bytes. Evicted top-k files are deleted only once the new one is durable. The fit waits for the last write
    /// when it ends (also on an exception), so <c>Validate</c>/<c>Test</c> with <c>ckptPath: "best"</c> or <c>"last"</c>
    /// read finished files. A failed write fails the fit at the next save or at its end, naming the file.
    /// </summary>
    public bool AsyncCheckpointing { get; set; }

    /// <summary>Find the operation that produced a NaN gradient, at some speed cost (Lightning's <c>detect_anomaly</c>: <c>torch.autograd.set_detect_anomaly</c>).</summary>
    public bool DetectAnomaly { get; set; }

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
        LimitTrainBatches?.Validate(nameof(LimitTrainBatches), allowZero: false);
        LimitTestBatches?.Validate(nameof(LimitTestBatches), allowZero: false);
        LimitPredictBatches?.Validate(nameof(LimitPredictBatches), allowZero: false);
        LimitValBatches?.Validate(nameof(LimitValBatches), allowZero: true);
        OverfitBatches?.Validate(nameof(OverfitBatches), allowZero: false);
        ValCheckInterval.Validate(nameof(ValCheckInterval), allowZero: false);
        if (MinEpochs is < 0) throw new ArgumentOutOfRangeException(nameof(MinEpochs), MinEpochs, "MinEpochs must be 0 or more (or null).");
        if (MinEpochs > MaxEpochs) throw new ArgumentException($"MinEpochs ({MinEpochs}) exceeds MaxEpochs ({MaxEpochs}); lower MinEpochs or raise MaxEpochs.", nameof(MinEpochs));
        if (MinSteps is < 0) throw new ArgumentOutOfRangeException(nameof(MinSteps), MinSteps, "MinSteps must be 0 or more (or null).");
        if (MinSteps > MaxSteps) throw new ArgumentException($"MinSteps ({MinSteps}) exceeds MaxSteps ({MaxSteps}); lower MinSteps or raise MaxSteps.", nameof(MinSteps));
        if (MaxTime is { } time && time <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(MaxTime), time, "MaxTime must be positive (or null for no limit).");
        if (CheckValEveryNEpoch < 1) throw new ArgumentOutOfRangeException(nameof(CheckValEveryNEpoch), CheckValEveryNEpoch, "CheckValEveryNEpoch must be a positive integer.");
        if (FastDevRun is < 1) throw new ArgumentOutOfRangeException(nameof(FastDevRun), FastDevRun, "FastDevRun must be a positive number of batches (1 is Lightning's fast_dev_run=True), or null for off.");
        // Lightning: "You cannot execute `overfit_batches` and `fast_dev_run` at the same time" is not refused there, but one silently wins; here it is an error.
        if (FastDevRun is not null && OverfitBatches is not null) throw new ArgumentException("FastDevRun and OverfitBatches both choose the batches to run; set one of them.", nameof(OverfitBatches));
        if (OverfitBatches is not null && (LimitTrainBatches is not null || LimitValBatches is not null))
            throw new ArgumentException("OverfitBatches sets the training and validation batches itself; leave LimitTrainBatches and LimitValBatches unset.", nameof(OverfitBatches));
        ArgumentException.ThrowIfNullOrWhiteSpace(DefaultRootDir, nameof(DefaultRootDir));
        Core.Accelerators.Accelerator.ThrowIfUnknown(Accelerator, nameof(Accelerator));
        DdpStrategy.ThrowIfInvalid(Strategy, Devices, NumNodes, nameof(Strategy), nameof(Devices), nameof(NumNodes));
        Ddp.Validate();
        StepOptions().Validate(nameof(AccumulateGradBatches), nameof(GradientClipVal));
        RecorderOptions().Validate();
    }

    // What the loops run, after FastDevRun and OverfitBatches (Lightning's trainer/setup.py _init_debugging_flags).
    internal int TrainBatches(int total) => (FastDevRun is int n ? n : OverfitBatches ?? LimitTrainBatches)?.Of(total, nameof(LimitTrainBatches)) ?? total;

    internal int ValBatches(int total) => (FastDevRun is int n ? n : OverfitBatches ?? LimitValBatches)?.Of(total, nameof(LimitValBatches)) ?? total;

    internal int TestBatches(int total) => (FastDevRun is int n ? n : LimitTestBatches)?.Of(total, nameof(LimitTestBatches)) ?? total;

    internal int PredictBatches(int total) => (FastDevRun is int n ? n : LimitPredictBatches)?.Of(total, nameof(LimitPredictBatches)) ?? total;

    internal int SanityValSteps => FastDevRun is not null ? 0 : NumSanityValSteps;

    internal int EffectiveMaxEpochs => FastDevRun is not null ? 1 : MaxEpochs;

    internal long? EffectiveMaxSteps => FastDevRun is int n ? n : MaxSteps;

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
        Loggers = isGlobalZero && FastDevRun is null ? [.. Loggers] : [],
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
