using Unified.Core.Logging;
using Unified.Core.Training;

namespace Unified.Ignite;

/// <summary>
/// Logs the optimiser's learning rates to the experiment loggers, as Ignite's <c>OptimizerParamsHandler</c>
/// (contrib/handlers/base_logger.py) attached on <c>ITERATION_STARTED</c> / <c>EPOCH_STARTED</c>, but under the names
/// of Lightning's <c>LearningRateMonitor</c> (<see cref="LearningRates.Named"/>: <c>lr-Adam</c> …) and at its times, so
/// that both front-ends write the same columns: with <see cref="SchedulerInterval.Step"/> before an iteration every
/// <c>logEveryNSteps</c> optimiser steps, with <see cref="SchedulerInterval.Epoch"/> when an epoch starts, with null at
/// the scheduler's own interval (no scheduler: both). Values go to the loggers at the optimiser step count.
/// </summary>
/// <example><code>new OptimizerParamsHandler(fit.Kernel, loggers, new LearningRateMonitorPolicy { LoggingInterval = SchedulerInterval.Step }).Attach(fit.Trainer);</code></example>
public sealed class OptimizerParamsHandler : ITrainerHandler
{
    readonly StepKernel kernel;
    readonly IReadOnlyList<IExperimentLogger> loggers;
    readonly LearningRateMonitorPolicy policy;
    readonly int? logEveryNSteps;

    /// <summary>Creates the handler for <paramref name="kernel"/>'s optimiser; <paramref name="loggers"/> may be empty (a rank that does not log).</summary>
    public OptimizerParamsHandler(StepKernel kernel, IReadOnlyList<IExperimentLogger> loggers, LearningRateMonitorPolicy? policy = null, int? logEveryNSteps = 50)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(loggers);
        this.policy = policy ?? new LearningRateMonitorPolicy();
        this.policy.Validate();
        (this.kernel, this.loggers, this.logEveryNSteps) = (kernel, loggers, logEveryNSteps);
    }

    /// <inheritdoc />
    public void Attach(Engine trainer)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        var interval = policy.LoggingInterval;
        // Lightning's should_update_logs: the step about to be taken is a multiple of log_every_n_steps.
        if (interval != SchedulerInterval.Epoch && logEveryNSteps is > 0 and int n)
            trainer.On(Events.IterationStarted.Filter((_, _) => (kernel.GlobalStep + 1) % n == 0), _ => Log(interval is null ? SchedulerInterval.Step : null));
        if (interval != SchedulerInterval.Step)
            trainer.On(Events.EpochStarted, _ => Log(interval is null ? SchedulerInterval.Epoch : null));
    }

    void Log(SchedulerInterval? only)
    {
        if (loggers.Count == 0) return;
        var stats = LearningRates.Stats([kernel.Optimizers], only, policy);
        if (stats.Count == 0) return;
        foreach (var logger in loggers) logger.LogMetrics(stats, kernel.GlobalStep);
    }
}
