using Unified.Core.Checkpointing;
using Unified.Core.Logging;
using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Lightning;

/// <summary>
/// What callbacks and the module see of a running <see cref="Trainer"/> (Lightning's <c>trainer</c> argument, narrowed):
/// progress, metrics, optimisers, loggers, and <see cref="ShouldStop"/>, the one thing they may change.
/// </summary>
public sealed class TrainerView
{
    internal TrainerView(TrainerStage stage, TrainerProgress progress, IReadOnlyList<IExperimentLogger> loggers, long? maxSteps)
    {
        (Stage, Progress, Loggers, MaxSteps) = (stage, progress, loggers, maxSteps);
    }

    /// <summary>The entry point that runs.</summary>
    public TrainerStage Stage { get; }

    /// <summary>Whether the entry point is a <see cref="TrainerOptions.FastDevRun"/>: checkpoints and early stopping stay idle (Lightning's <c>fast_dev_run</c>).</summary>
    public bool FastDevRun { get; internal init; }

    /// <summary>Whether the fit's sanity check (a few validation batches before training) is running (Lightning's <c>sanity_checking</c>).</summary>
    public bool SanityChecking { get; internal set; }

    /// <summary>Where the loop stands (a snapshot; a new one after every batch).</summary>
    public TrainerProgress Progress { get; internal set; }

    /// <summary>The 0-based epoch in progress (Lightning's <c>current_epoch</c>).</summary>
    public int CurrentEpoch => Progress.Epoch;

    /// <summary>Optimiser steps taken (Lightning's <c>global_step</c>).</summary>
    public long GlobalStep => Progress.GlobalStep;

    /// <summary>The step the loggers see (Lightning's <c>_batches_that_stepped</c>): <see cref="GlobalStep"/>, unless a manual step steps several optimisers.</summary>
    public long LoggingStep => Progress.BatchesThatStepped;

    /// <summary>The step limit of the fit, or null (Lightning's <c>max_steps</c>).</summary>
    public long? MaxSteps { get; }

    /// <summary>Whether this process is rank 0: the rank that logs, prints and writes files.</summary>
    public bool IsGlobalZero => Progress.IsGlobalZero;

    /// <summary>
    /// Set to stop the fit (Lightning's <c>trainer.should_stop</c>, e.g. by early stopping): checked after
    /// every training batch and before every epoch; a stopped fit ends as a success.
    /// </summary>
    public bool ShouldStop { get; set; }

    readonly Dictionary<string, double> callbackMetrics = new(StringComparer.Ordinal);
    readonly Dictionary<string, double> loggedMetrics = new(StringComparer.Ordinal);
    readonly Dictionary<string, double> progressBarMetrics = new(StringComparer.Ordinal);
    Core.Training.LoggedMetrics? stepValues;

    /// <summary>
    /// Every value logged in this entry point, latest first: per-step values after each training batch, epoch values
    /// once an epoch or evaluation has ended (Lightning's <c>callback_metrics</c>, updated, never cleared mid-run).
    /// </summary>
    public IReadOnlyDictionary<string, double> CallbackMetrics => Read(callbackMetrics);

    /// <summary>The values sent to the loggers, suffixed <c>_step</c>/<c>_epoch</c> when logged both ways (Lightning's <c>logged_metrics</c>).</summary>
    public IReadOnlyDictionary<string, double> LoggedMetrics => Read(loggedMetrics);

    /// <summary>The values logged with <c>progressBar: true</c> (Lightning's <c>progress_bar_metrics</c>).</summary>
    public IReadOnlyDictionary<string, double> ProgressBarMetrics => Read(progressBarMetrics);

    // Per-step values are read from the device only when someone asks (one sync), so that logging per step costs nothing.
    internal void StepEnded(Core.Training.LoggedMetrics logged)
    {
        if (logged.HasStepValues) stepValues = logged;
    }

    internal void Update(LoggedValues values)
    {
        Read(callbackMetrics);
        Merge(values);
    }

    void Merge(LoggedValues values)
    {
        foreach (var (k, v) in values.Callback) callbackMetrics[k] = v;
        foreach (var (k, v) in values.Logged) loggedMetrics[k] = v;
        foreach (var (k, v) in values.ProgressBar) progressBarMetrics[k] = v;
    }

    IReadOnlyDictionary<string, double> Read(Dictionary<string, double> metrics)
    {
        if (stepValues is { } pending)
        {
            stepValues = null;
            Merge(pending.ComputeStep());
        }
        return metrics;
    }

    /// <summary>The fit's optimiser configurations (optimiser and scheduler), empty outside a fit (Lightning's <c>lr_scheduler_configs</c>).</summary>
    public IReadOnlyList<OptimizerConfig> LrSchedulerConfigs { get; internal set; } = [];

    /// <summary>The fit's optimisers (Lightning's <c>trainer.optimizers</c>).</summary>
    public IReadOnlyList<optim.Optimizer> Optimizers => LrSchedulerConfigs.Select(c => c.Optimizer).ToList();

    /// <summary>
    /// Micro-batches per optimiser step (Lightning's settable <c>trainer.accumulate_grad_batches</c>): readable during a
    /// fit, settable at a step boundary (e.g. in <see cref="Callback.OnTrainEpochStart"/>, as
    /// <see cref="GradientAccumulationScheduler"/> does); 1 outside a fit.
    /// </summary>
    /// <exception cref="InvalidOperationException">Set outside a fit, or while micro-batch gradients are pending.</exception>
    public int AccumulateGradBatches
    {
        get => Kernel?.AccumulateGradBatches ?? 1;
        set => (Kernel ?? throw new InvalidOperationException("AccumulateGradBatches can be set only during Trainer.Fit.")).AccumulateGradBatches = value;
    }

    /// <summary>Every how many optimiser steps step-level values are logged (Lightning's <c>log_every_n_steps</c>); null or 0 for epochs only.</summary>
    public int? LogEveryNSteps { get; internal init; }

    /// <summary>
    /// Whether step-level values should go to the loggers now, before the next batch (Lightning's
    /// <c>_logger_connector.should_update_logs</c>: every <see cref="LogEveryNSteps"/> batches that stepped, or when stopping).
    /// </summary>
    public bool ShouldUpdateLogs => LogEveryNSteps is > 0 and int n && ((LoggingStep + 1) % n == 0 || ShouldStop);

    // The fit's step kernel (null outside a fit); set by the fit loop.
    internal StepKernel? Kernel { get; set; }

    /// <summary>The experiment loggers (rank 0 only; empty on the other ranks).</summary>
    public IReadOnlyList<IExperimentLogger> Loggers { get; }

    // Writes the network's weights only (ModelCheckpoint.SaveWeightsOnly); set by the fit.
    internal Action<string>? WeightsWriter { get; set; }

    /// <summary>Saves the fit's whole state to a file (Lightning's <c>trainer.save_checkpoint</c>); null outside a fit.</summary>
    public ICheckpointWriter? Checkpoint => Progress.Checkpoint;
}
