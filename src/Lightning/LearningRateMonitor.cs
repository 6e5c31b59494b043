using Unified.Core.Data;
using Unified.Core.Training;
using TorchSharp.Modules;

namespace Unified.Lightning;

/// <summary>
/// Logs the optimisers' learning rates to the experiment loggers, as Lightning's <c>LearningRateMonitor</c>
/// (callbacks/lr_monitor.py), with the names of <see cref="LearningRates.Named"/>: <c>lr-Adam</c>, <c>lr-SGD</c> (<c>lr-Adam-1</c> for a second Adam, <c>lr-Adam/pg1</c> …
/// for several parameter groups), optionally <c>-momentum</c> (Adam's first beta, SGD's momentum, else 0) and
/// <c>-weight_decay</c>. With <see cref="SchedulerInterval.Step"/> it logs before a batch every
/// <see cref="TrainerOptions.LogEveryNSteps"/> optimiser steps, with <see cref="SchedulerInterval.Epoch"/> when an epoch
/// starts, and with null at each scheduler's own interval (an optimiser without a scheduler at every logged step).
/// Values go to the loggers at the optimiser step count, as Lightning's <c>logger.log_metrics</c>.
/// </summary>
/// <example><code>options.Callbacks.Add(new LearningRateMonitor(loggingInterval: SchedulerInterval.Step));</code></example>
public sealed class LearningRateMonitor : Callback
{
    readonly SchedulerInterval? loggingInterval;
    readonly LearningRateMonitorPolicy policy;
    readonly string prefix;
    readonly Dictionary<string, List<double>> lrs = new(StringComparer.Ordinal);

    /// <summary>Creates the monitor (Lightning's <c>LearningRateMonitor(logging_interval, log_momentum, log_weight_decay, log_key_prefix)</c>).</summary>
    public LearningRateMonitor(SchedulerInterval? loggingInterval = null, bool logMomentum = false, bool logWeightDecay = false, string? logKeyPrefix = null)
    {
        if (loggingInterval is { } interval && !Enum.IsDefined(interval))
            throw new ArgumentOutOfRangeException(nameof(loggingInterval), interval, "loggingInterval must be SchedulerInterval.Step, SchedulerInterval.Epoch or null (each scheduler's own interval).");
        policy = new LearningRateMonitorPolicy { LoggingInterval = loggingInterval, LogMomentum = logMomentum, LogWeightDecay = logWeightDecay };
        (this.loggingInterval, prefix) = (loggingInterval, logKeyPrefix ?? "");
    }

    /// <summary>Every learning rate logged so far, by logged name (Lightning's <c>lrs</c>).</summary>
    public IReadOnlyDictionary<string, List<double>> Lrs => lrs;

    /// <inheritdoc />
    public override void OnTrainStart(TrainerView trainer, ITrainingModule module)
    {
        if (trainer.Loggers.Count == 0 && trainer.IsGlobalZero)
            throw new InvalidOperationException("Cannot use LearningRateMonitor with a Trainer that has no logger; add one to TrainerOptions.Loggers (e.g. a CsvLogger).");
        lrs.Clear();
        foreach (var (name, _, _) in Names(trainer)) lrs[name] = [];
    }

    /// <inheritdoc />
    public override void OnTrainBatchStart(TrainerView trainer, ITrainingModule module, Batch batch, int batchIndex)
    {
        if (!trainer.ShouldUpdateLogs || loggingInterval == SchedulerInterval.Epoch) return;
        Log(trainer, loggingInterval is null ? SchedulerInterval.Step : null);
    }

    /// <inheritdoc />
    public override void OnTrainEpochStart(TrainerView trainer, ITrainingModule module)
    {
        if (loggingInterval == SchedulerInterval.Step) return;
        Log(trainer, loggingInterval is null ? SchedulerInterval.Epoch : null);
    }

    // interval null: every optimiser ("any" in Lightning); otherwise those whose scheduler steps at it, and those without one.
    void Log(TrainerView trainer, SchedulerInterval? interval)
    {
        var stats = LearningRates.Stats(trainer.LrSchedulerConfigs, interval, policy, prefix);
        if (stats.Count == 0) return;
        foreach (var (name, _, _) in Names(trainer))
        {
            if (!stats.TryGetValue(name, out double lr)) continue;
            if (!lrs.TryGetValue(name, out var list)) lrs[name] = list = [];
            list.Add(lr);
        }
        foreach (var logger in trainer.Loggers) logger.LogMetrics(stats, trainer.LoggingStep);
    }

    IEnumerable<(string Name, OptimizerConfig Config, ParamGroup Group)> Names(TrainerView trainer) => LearningRates.Named(trainer.LrSchedulerConfigs, prefix);
}
