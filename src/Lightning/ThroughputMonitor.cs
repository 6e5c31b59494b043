using System.Diagnostics;
using Unified.Core.Data;
using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Lightning;

/// <summary>
/// Logs throughput to the experiment loggers, as Lightning's <c>ThroughputMonitor</c> (callbacks/throughput_monitor.py
/// over Fabric's <c>Throughput</c>): <c>train/time</c>, <c>train/batches</c>, <c>train/samples</c> and, once
/// <c>windowSize</c> batches have run, <c>train/device/batches_per_sec</c> and <c>train/device/samples_per_sec</c> over
/// that window; the same under <c>validate/</c>, <c>test/</c> and <c>predict/</c> after every evaluation batch. Training
/// values are logged at optimiser steps that <see cref="TrainerOptions.LogEveryNSteps"/> selects, training time leaves
/// out the validation runs, and only rank 0 logs. Reading the clock needs no device sync on CPU; on CUDA the
/// timings include queued work only when something synchronised.
/// </summary>
/// <example><code>options.Callbacks.Add(new ThroughputMonitor(windowSize: 50));</code></example>
public sealed class ThroughputMonitor : Callback
{
    readonly Func<Batch, int> batchSizeFn;
    readonly Dictionary<TrainerStage, ThroughputWindow> windows = [];
    readonly Dictionary<TrainerStage, long> starts = [];
    readonly int windowSize;
    readonly string separator;
    long validationStart;

    /// <summary>A monitor counting <paramref name="batchSizeFn"/> samples per batch (default <see cref="Batch.Size"/>), with rates over <paramref name="windowSize"/> batches.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="windowSize"/> is below 2.</exception>
    public ThroughputMonitor(Func<Batch, int>? batchSizeFn = null, int windowSize = 100, string separator = "/")
    {
        if (windowSize < 2) throw new ArgumentOutOfRangeException(nameof(windowSize), windowSize, "windowSize must be at least 2 batches (Fabric's Throughput needs two points for a rate).");
        ArgumentException.ThrowIfNullOrEmpty(separator);
        (this.batchSizeFn, this.windowSize, this.separator) = (batchSizeFn ?? (b => b.Size), windowSize, separator);
    }

    /// <inheritdoc />
    public override void OnTrainStart(TrainerView trainer, ITrainingModule module) => Start(TrainerStage.Fit);

    /// <inheritdoc />
    public override void OnTrainBatchEnd(TrainerView trainer, ITrainingModule module, Tensor loss, Batch batch, int batchIndex)
    {
        Update(TrainerStage.Fit, batch);
        // Lightning computes at optimiser steps and logs when should_update_logs held before the step.
        if (trainer.Kernel is { AtStepBoundary: true } && trainer.LogEveryNSteps is > 0 and int n && trainer.LoggingStep % n == 0) Log(trainer, TrainerStage.Fit, trainer.LoggingStep);
    }

    /// <inheritdoc />
    public override void OnValidationStart(TrainerView trainer, ITrainingModule module)
    {
        if (trainer.SanityChecking) return;
        validationStart = Stopwatch.GetTimestamp();
        Start(TrainerStage.Validate);
    }

    /// <inheritdoc />
    public override void OnValidationBatchEnd(TrainerView trainer, ITrainingModule module, Batch batch, int batchIndex)
    {
        if (trainer.SanityChecking) return;
        Update(TrainerStage.Validate, batch);
        Log(trainer, TrainerStage.Validate, windows[TrainerStage.Validate].Batches);
    }

    /// <inheritdoc />
    // Training time leaves out validation: the training clock moves on by the validation's duration.
    public override void OnValidationEnd(TrainerView trainer, ITrainingModule module)
    {
        if (trainer.SanityChecking || trainer.Stage != TrainerStage.Fit || !starts.ContainsKey(TrainerStage.Fit)) return;
        starts[TrainerStage.Fit] += Stopwatch.GetTimestamp() - validationStart;
    }

    /// <inheritdoc />
    public override void OnTestStart(TrainerView trainer, ITrainingModule module) => Start(TrainerStage.Test);

    /// <inheritdoc />
    public override void OnTestBatchEnd(TrainerView trainer, ITrainingModule module, Batch batch, int batchIndex)
    {
        Update(TrainerStage.Test, batch);
        Log(trainer, TrainerStage.Test, windows[TrainerStage.Test].Batches);
    }

    /// <inheritdoc />
    public override void OnPredictStart(TrainerView trainer, ITrainingModule module) => Start(TrainerStage.Predict);

    /// <inheritdoc />
    public override void OnPredictBatchEnd(TrainerView trainer, ITrainingModule module, Tensor prediction, Batch batch, int batchIndex)
    {
        Update(TrainerStage.Predict, batch);
        Log(trainer, TrainerStage.Predict, windows[TrainerStage.Predict].Batches);
    }

    void Start(TrainerStage stage)
    {
        if (!windows.TryGetValue(stage, out var window)) windows[stage] = window = new ThroughputWindow(windowSize, separator);
        window.Reset();
        starts[stage] = Stopwatch.GetTimestamp();
    }

    void Update(TrainerStage stage, Batch batch) =>
        windows[stage].Update(Stopwatch.GetElapsedTime(starts[stage]).TotalSeconds, batchSizeFn(batch));

    void Log(TrainerView trainer, TrainerStage stage, long step)
    {
        if (!trainer.IsGlobalZero || trainer.Loggers.Count == 0) return;
        var metrics = windows[stage].Compute(Prefix(stage));
        if (stage == TrainerStage.Fit) metrics["epoch"] = trainer.CurrentEpoch;
        foreach (var logger in trainer.Loggers) logger.LogMetrics(metrics, step);
    }

    // Lightning's RunningStage values.
    static string Prefix(TrainerStage stage) => stage switch
    {
        TrainerStage.Fit => "train",
        TrainerStage.Validate => "validate",
        TrainerStage.Test => "test",
        _ => "predict",
    };
}
