namespace Unified.Core.Training;

/// <summary>
/// Log the optimisers' learning rates to the experiment loggers, declared once for both front-ends: the Lightning
/// front-end realises it as its <c>LearningRateMonitor</c> callback, the Ignite front-end as its
/// <c>OptimizerParamsHandler</c>; both name the values as Lightning does (<see cref="LearningRates.Named"/>).
/// </summary>
/// <example><code>new LearningRateMonitorPolicy { LoggingInterval = SchedulerInterval.Step, LogMomentum = true }</code></example>
public sealed record LearningRateMonitorPolicy
{
    /// <summary>
    /// <see cref="SchedulerInterval.Step"/>: before a batch every <c>LogEveryNSteps</c> optimiser steps;
    /// <see cref="SchedulerInterval.Epoch"/>: when an epoch starts; null (default): at each scheduler's own interval.
    /// </summary>
    public SchedulerInterval? LoggingInterval { get; init; }

    /// <summary>Also log <c>-momentum</c> (Adam's first beta, SGD's momentum, else 0).</summary>
    public bool LogMomentum { get; init; }

    /// <summary>Also log <c>-weight_decay</c>.</summary>
    public bool LogWeightDecay { get; init; }

    /// <summary>Throws when a value is out of range, naming the field and the allowed values.</summary>
    public void Validate()
    {
        if (LoggingInterval is { } interval && !Enum.IsDefined(interval))
            throw new ArgumentOutOfRangeException(nameof(LoggingInterval), interval, "LearningRateMonitor.LoggingInterval must be SchedulerInterval.Step, SchedulerInterval.Epoch or null (each scheduler's own interval).");
    }
}
