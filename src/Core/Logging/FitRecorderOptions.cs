using Microsoft.Extensions.Logging;
using Unified.Core.Distributed;

namespace Unified.Core.Logging;

/// <summary>What a <see cref="FitRecorder"/> records a fit to, set by the front-end from its own options.</summary>
public sealed class FitRecorderOptions
{
    /// <summary>The front-end's name, tagged on every measurement and span (<c>lightning</c>, <c>ignite</c>).</summary>
    public string Framework { get; init; } = "unified";

    /// <summary>Experiment loggers; each gets hyper-parameters at fit start and the epoch's metrics at every epoch end.</summary>
    public IReadOnlyList<IExperimentLogger> Loggers { get; init; } = [];

    /// <summary>The run's processes; loggers are only called on rank 0 (Lightning's <c>rank_zero_only</c>). Null: one process.</summary>
    public IProcessGroup? ProcessGroup { get; init; }

    /// <summary>Where the <see cref="ILogger"/> events go; null for none.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>
    /// Also log the step's training loss as <c>train_loss_step</c> every this many optimiser steps (one host sync
    /// each; Lightning's <c>log_every_n_steps</c>, default 50); null or 0 logs epoch results only.
    /// </summary>
    public int? LogEveryNSteps { get; init; } = 50;

    /// <summary>Histograms of weights and gradients to log; null for none.</summary>
    public HistogramOptions? Histograms { get; init; }

    // Only rank 0 writes to the experiment loggers; null when nothing is logged.
    internal ExperimentLoggerCollection? RankZeroLoggers(ILoggerFactory? factory) =>
        (ProcessGroup?.Rank ?? 0) == 0 && Loggers.Count > 0 ? new ExperimentLoggerCollection(Loggers, factory) : null;

    /// <summary>Throws when a value is out of range, naming the field.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Loggers, nameof(Loggers));
        if (LogEveryNSteps is < 0) throw new ArgumentOutOfRangeException(nameof(LogEveryNSteps), LogEveryNSteps, "LogEveryNSteps must be 0 or more (null or 0 to log epoch results only).");
        if (Loggers.Any(l => l is null)) throw new ArgumentException("Loggers must not contain null entries.", nameof(Loggers));
        Histograms?.Validate();
    }
}
