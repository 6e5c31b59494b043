using System.Globalization;
using System.Reflection;
using Unified.Core.Data;
using Unified.Core.Training;
using TorchSharp.Modules;

namespace Unified.Lightning;

/// <summary>
/// Logs the optimisers' learning rates to the experiment loggers, as Lightning's <c>LearningRateMonitor</c>
/// (callbacks/lr_monitor.py): <c>lr-Adam</c>, <c>lr-SGD</c> (<c>lr-Adam-1</c> for a second Adam, <c>lr-Adam/pg1</c> …
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
    readonly bool logMomentum, logWeightDecay;
    readonly string prefix;
    readonly Dictionary<string, List<double>> lrs = new(StringComparer.Ordinal);

    /// <summary>Creates the monitor (Lightning's <c>LearningRateMonitor(logging_interval, log_momentum, log_weight_decay, log_key_prefix)</c>).</summary>
    public LearningRateMonitor(SchedulerInterval? loggingInterval = null, bool logMomentum = false, bool logWeightDecay = false, string? logKeyPrefix = null)
    {
        if (loggingInterval is { } interval && !Enum.IsDefined(interval))
            throw new ArgumentOutOfRangeException(nameof(loggingInterval), interval, "loggingInterval must be SchedulerInterval.Step, SchedulerInterval.Epoch or null (each scheduler's own interval).");
        (this.loggingInterval, this.logMomentum, this.logWeightDecay, prefix) = (loggingInterval, logMomentum, logWeightDecay, logKeyPrefix ?? "");
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
        var stats = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, config, group) in Names(trainer))
        {
            if (interval is { } wanted && config.Scheduler is not null && config.Interval != wanted) continue;
            double lr = group.LearningRate;
            stats[name] = lr;
            if (!lrs.TryGetValue(name, out var list)) lrs[name] = list = [];
            list.Add(lr);
            if (logMomentum) stats[name + "-momentum"] = Momentum(group);
            if (logWeightDecay) stats[name + "-weight_decay"] = OptionValue(group, "weight_decay") ?? 0;
        }
        if (stats.Count == 0) return;
        foreach (var logger in trainer.Loggers) logger.LogMetrics(stats, trainer.GlobalStep);
    }

    // Lightning's _find_names_from_schedulers / _add_prefix / _add_suffix: lr-{Type}, -{n} for the n-th repeat, /pg{i} for several groups.
    IEnumerable<(string Name, OptimizerConfig Config, ParamGroup Group)> Names(TrainerView trainer)
    {
        var seen = new Dictionary<Type, int>();
        foreach (var config in trainer.LrSchedulerConfigs)
        {
            var type = config.Optimizer.GetType();
            seen[type] = seen.GetValueOrDefault(type) + 1;
            string name = "lr-" + type.Name + (seen[type] > 1 ? "-" + (seen[type] - 1).ToString(CultureInfo.InvariantCulture) : "");
            var groups = config.Optimizer.ParamGroups.OfType<ParamGroup>().ToList();
            for (int i = 0; i < groups.Count; i++)
                yield return (prefix + (groups.Count > 1 ? $"{name}/pg{(i + 1).ToString(CultureInfo.InvariantCulture)}" : name), config, groups[i]);
        }
    }

    // Adam-like optimisers have betas (Lightning logs the first), SGD-like ones momentum; others log 0, as Lightning.
    static double Momentum(ParamGroup group) => OptionValue(group, "beta1") ?? OptionValue(group, "momentum") ?? 0;

    static double? OptionValue(ParamGroup group, string name)
    {
        var options = group.Options;
        if (options is null) return null;
        const BindingFlags flags = BindingFlags.Public | BindingFlags.Instance;
        object? value = options.GetType().GetField(name, flags)?.GetValue(options) ?? options.GetType().GetProperty(name, flags)?.GetValue(options);
        return value is null ? null : Convert.ToDouble(value, CultureInfo.InvariantCulture);
    }
}
