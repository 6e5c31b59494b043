using Unified.Core.Checkpointing;
using Unified.Core.Training;

namespace Unified.Ignite;

/// <summary>
/// What a <see cref="SupervisedFit"/> attaches to its trainer and evaluator: the run's limits, validation, checkpoints,
/// early stopping, learning-rate logging and a time limit, each realised by Ignite's own handlers.
/// </summary>
public sealed class SupervisedFitOptions
{
    /// <summary>The trainer engine's step options (precision, accumulation, clipping, loggers, data parallelism).</summary>
    public SupervisedTrainerOptions Trainer { get; set; } = new();

    /// <summary>Training epochs (default 1).</summary>
    public int MaxEpochs { get; set; } = 1;

    /// <summary>Terminate once this many optimiser steps are taken; the position inside the epoch is kept for a resume. Null: no limit.</summary>
    public long? MaxSteps { get; set; }

    /// <summary>Run the evaluator over the validation split after every epoch (default true).</summary>
    public bool Validate { get; set; } = true;

    /// <summary>Run the evaluator after every n-th epoch (default 1), attached on <c>EPOCH_COMPLETED(every=n)</c>; Lightning's <c>check_val_every_n_epoch</c>.</summary>
    public int CheckValEveryNEpoch { get; set; } = 1;

    /// <summary>Validation batches run once before training (not on resume), so that a broken validation step fails early; 0 (default) for none.</summary>
    public int NumSanityValSteps { get; set; }

    /// <summary>The rolling <c>last.ckpt</c> and the best-k checkpoints.</summary>
    public CheckpointPolicy Checkpoints { get; set; } = new();

    /// <summary>Terminate when the monitored metric stops improving (Ignite's <see cref="EarlyStopping"/>); null for none.</summary>
    public EarlyStoppingPolicy? EarlyStopping { get; set; }

    /// <summary>Terminate after this much wall time (Ignite's <see cref="TimeLimit"/>), leaving a resumable checkpoint; null for none.</summary>
    public TimeSpan? MaxTime { get; set; }

    /// <summary>Log the optimiser's learning rates to <see cref="SupervisedTrainerOptions.Loggers"/> (<see cref="OptimizerParamsHandler"/>); null for none.</summary>
    public LearningRateMonitorPolicy? LearningRateMonitor { get; set; }

    /// <summary>A checkpoint to continue from (written by a <see cref="SupervisedFit"/>); null starts fresh.</summary>
    public string? ResumeFrom { get; set; }

    /// <summary>Throws when a value is out of range, naming the field and the allowed values.</summary>
    public void Check()
    {
        if (MaxEpochs < 1) throw new ArgumentOutOfRangeException(nameof(MaxEpochs), MaxEpochs, "MaxEpochs must be a positive integer.");
        if (MaxSteps is < 1) throw new ArgumentOutOfRangeException(nameof(MaxSteps), MaxSteps, "MaxSteps must be a positive integer (or null for no limit).");
        if (NumSanityValSteps < -1) throw new ArgumentOutOfRangeException(nameof(NumSanityValSteps), NumSanityValSteps, "NumSanityValSteps must be -1 (all), 0 (none) or a positive count.");
        if (MaxTime is { } time && time <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(MaxTime), MaxTime, "MaxTime must be positive (or null for no limit).");
        if (CheckValEveryNEpoch < 1) throw new ArgumentOutOfRangeException(nameof(CheckValEveryNEpoch), CheckValEveryNEpoch, "CheckValEveryNEpoch must be a positive integer (1 validates after every epoch).");
        Checkpoints.Validate();
        EarlyStopping?.Validate();
        LearningRateMonitor?.Validate();
        if (LearningRateMonitor is not null && Trainer.Loggers.Count == 0)
            throw new ArgumentException("LearningRateMonitor needs a logger to write to; add one to Trainer.Loggers (e.g. a CsvLogger) or set LearningRateMonitor to null.", nameof(LearningRateMonitor));
    }
}
