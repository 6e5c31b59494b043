using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using Unified.Core.Telemetry;
using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Core.Logging;

/// <summary>
/// Records one fit for both front-ends, so that neither trainer carries logging code: spans (<c>fit</c>,
/// <c>epoch</c>, <c>validation</c>) on <see cref="TrainingTelemetry.ActivitySource"/>, the <c>Unified.Training</c>
/// meter's instruments, <see cref="ILogger"/> events, and the experiment loggers (hyper-parameters at the start,
/// the epoch's metrics with <c>epoch</c> at every epoch end, flushed then; finished with the run's status at the end,
/// also on failure). A logger that fails is a warning, never a failed fit. No host sync per step: the loss gauge's
/// running sum stays on the device while someone listens, and <c>train_loss_step</c> is read every
/// <see cref="FitRecorderOptions.LogEveryNSteps"/> steps only.
/// </summary>
/// <example><code>
/// using var recorder = new FitRecorder(new FitRecorderOptions { Framework = "lightning", Loggers = loggers });
/// recorder.FitStarted(module, kernel, maxEpochs, batches);
/// try { /* per epoch: EpochStarted, per step: StepStarting + StepCompleted, BeginValidation, EpochCompleted */ recorder.FitCompleted(); }
/// catch (Exception e) { recorder.FitFailed(e); throw; }
/// </code></example>
public sealed class FitRecorder : IDisposable
{
    readonly FitRecorderOptions options;
    readonly ExperimentLoggerCollection? loggers;
    readonly ILogger log;
    readonly KeyValuePair<string, object?> frameworkTag;
    ITrainingModule? module;
    StepKernel? kernel;
    Activity? fit, epoch;
    Tensor? lossSum;
    long lossSamples, globalStep, fitStart;
    int currentEpoch;
    bool ended;

    /// <summary>Creates the recorder; loggers are only used on rank 0.</summary>
    public FitRecorder(FitRecorderOptions? options = null)
    {
        this.options = options ?? new FitRecorderOptions();
        this.options.Validate();
        var factory = this.options.LoggerFactory ?? NullLoggerFactory.Instance;
        log = factory.CreateLogger<FitRecorder>();
        loggers = this.options.RankZeroLoggers(factory);
        Evaluation = new EvaluationRecorder(loggers);
        frameworkTag = new(TrainingTelemetry.FrameworkTag, this.options.Framework);
    }

    /// <summary>Logger calls that failed (each was logged as a warning).</summary>
    public int LoggerFailures => loggers?.FailureCount ?? 0;

    /// <summary>
    /// The fit's validation batches, to the same loggers: per-step values per batch at the count of validation batches
    /// seen in this fit (not reset between its validation runs; the sanity check is not passed in). Epoch-end values go
    /// into <see cref="EpochCompleted"/>'s row.
    /// </summary>
    public EvaluationRecorder Evaluation { get; }

    /// <summary>
    /// Starts the <c>fit</c> span and logs <paramref name="module"/>'s hyper-parameters; <paramref name="kernel"/>
    /// gives the learning rate and, on request, gradient histograms (through its <see cref="StepKernel.BeforeOptimizerStep"/>).
    /// </summary>
    public void FitStarted(ITrainingModule module, StepKernel kernel, int maxEpochs, int batchesPerEpoch)
    {
        this.module = module ?? throw new ArgumentNullException(nameof(module));
        this.kernel = kernel ?? throw new ArgumentNullException(nameof(kernel));
        if (loggers is not null && options.Histograms is { GradientsEveryNSteps: int every } histograms)
            kernel.BeforeOptimizerStep = step =>
            {
                if (step % every == 0) LogGradientHistograms(step, histograms.Bins);
            };
        fitStart = Stopwatch.GetTimestamp();
        fit = TrainingTelemetry.ActivitySource.StartActivity(TrainingTelemetry.FitActivity);
        fit?.SetTag(TrainingTelemetry.FrameworkTag, options.Framework).SetTag("unified.max_epochs", maxEpochs).SetTag("unified.batches_per_epoch", batchesPerEpoch);
        log.FitStarted(options.Framework, maxEpochs, batchesPerEpoch, loggers?.Loggers.Count ?? 0);
        if (kernel.Resumed) loggers?.Resume(kernel.GlobalStep);
        loggers?.LogHyperparameters(module.Hyperparameters);
    }

    /// <summary>Starts the <c>epoch</c> span (0-based <paramref name="epochIndex"/>).</summary>
    public void EpochStarted(int epochIndex)
    {
        currentEpoch = epochIndex;
        epoch?.Dispose();
        epoch = TrainingTelemetry.ActivitySource.StartActivity(TrainingTelemetry.EpochActivity);
        epoch?.SetTag(TrainingTelemetry.FrameworkTag, options.Framework).SetTag("unified.epoch", epochIndex);
        lossSum?.Dispose();
        lossSum = null;
        lossSamples = 0;
    }

    /// <summary>A timestamp to pass to <see cref="StepCompleted"/>.</summary>
    public static long StepStarting() => Stopwatch.GetTimestamp();

    /// <summary>
    /// Counts the step: duration, samples, optimiser steps taken (<paramref name="globalStep"/> is the kernel's count
    /// after the step), the loss (kept on the device), and every N optimiser steps the step's loss to the loggers,
    /// with <paramref name="stepMetrics"/> (what the module logged per step; read only then). <paramref name="logStep"/>
    /// is the step the loggers see, when it is not <paramref name="globalStep"/> (Lightning's <c>_batches_that_stepped</c>
    /// under manual optimisation with several optimisers).
    /// </summary>
    public void StepCompleted(long startTimestamp, Tensor loss, int batchSize, long globalStep, Func<IReadOnlyDictionary<string, double>>? stepMetrics = null, long? logStep = null)
    {
        if (TrainingTelemetry.StepDuration.Enabled)
            TrainingTelemetry.StepDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, frameworkTag);
        TrainingTelemetry.Samples.Add(batchSize, frameworkTag);
        bool stepped = globalStep > this.globalStep;
        if (stepped) TrainingTelemetry.Steps.Add(globalStep - this.globalStep, frameworkTag);
        this.globalStep = globalStep;
        long loggedStep = logStep ?? globalStep;
        bool logNow = stepped && loggers is not null && options.LogEveryNSteps is > 0 and int every && loggedStep % every == 0;
        if (!TrainingTelemetry.Loss.Enabled && !logNow) return;
        using var scope = NewDisposeScope(); // the loop's step scope has ended: free these temporaries here
        var value = loss.detach().to_type(ScalarType.Float64);
        if (TrainingTelemetry.Loss.Enabled)
        {
            // Sample-weighted running sum on the device: one small kernel, no sync.
            if (lossSum is null) lossSum = value.mul(batchSize).DetachFromDisposeScope();
            else lossSum.add_(value, alpha: batchSize);
            lossSamples += batchSize;
        }
        if (logNow)
        {
            var row = new Dictionary<string, double>(stepMetrics?.Invoke() ?? new Dictionary<string, double>(), StringComparer.Ordinal)
            {
                ["train_loss_step"] = value.item<double>(),
                ["epoch"] = currentEpoch, // as Lightning adds to every logged row
            };
            loggers!.LogMetrics(row, loggedStep);
        }
    }

    /// <summary>Starts the <c>validation</c> span; dispose the result when validation ends.</summary>
    public IDisposable? BeginValidation(int epochIndex) => StartValidation(options.Framework, epochIndex);

    /// <summary>
    /// Ends the <c>epoch</c> span with the epoch's metrics as tags, records the loss and learning-rate gauges, logs
    /// the metrics (plus <c>epoch</c>) at the result's global step (or <paramref name="logStep"/>, as for
    /// <see cref="StepCompleted"/>), optional weight histograms, and flushes the loggers.
    /// </summary>
    public void EpochCompleted(EpochResult result, long? logStep = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        globalStep = result.GlobalStep;
        if (lossSum is not null && lossSamples > 0)
        {
            TrainingTelemetry.Loss.Record(lossSum.item<double>() / lossSamples, frameworkTag);
            lossSum.Dispose();
            lossSum = null;
            lossSamples = 0;
        }
        if (kernel?.Optimizers.Optimizer.ParamGroups.FirstOrDefault() is { } group) TrainingTelemetry.LearningRate.Record(group.LearningRate, frameworkTag);
        if (epoch is not null)
        {
            epoch.SetTag("unified.global_step", result.GlobalStep);
            foreach (var (name, value) in result.Metrics) epoch.SetTag("unified.metric." + name, value);
            epoch.Dispose();
            epoch = null;
        }
        if (log.IsEnabled(LogLevel.Information))
            log.EpochCompleted(result.Epoch, result.GlobalStep,
                string.Join(", ", result.Metrics.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key}={kv.Value:G6}"))));
        if (loggers is null) return;
        var metrics = new Dictionary<string, double>(result.Metrics, StringComparer.Ordinal) { ["epoch"] = result.Epoch };
        loggers.LogMetrics(metrics, logStep ?? result.GlobalStep);
        if (options.Histograms is { Weights: true } histograms && module is not null)
        {
            try
            {
                loggers.LogWeightHistograms(module.Network, logStep ?? result.GlobalStep, histograms.Bins);
            }
            catch (ArgumentException e) // a parameter with NaN or infinite values
            {
                log.ExperimentLoggerFailed(loggers.Name, "log weight histograms", e);
            }
        }
        loggers.Flush();
    }

    void LogGradientHistograms(long step, int bins)
    {
        // The kernel's parameters are the optimiser's (fp32 masters under mixed precision), in module order.
        var names = module!.Network.named_parameters().Select(p => p.name).ToList();
        var parameters = kernel!.Parameters;
        for (int i = 0; i < parameters.Count; i++)
        {
            if (parameters[i].grad is not { } grad) continue;
            string name = names.Count == parameters.Count ? names[i] : "param_" + i.ToString(CultureInfo.InvariantCulture);
            try
            {
                loggers!.LogHistogram("gradients/" + name, HistogramValues.FromTensor(grad, bins), step);
            }
            catch (ArgumentException e) // a gradient with NaN or infinite values
            {
                log.ExperimentLoggerFailed(loggers!.Name, "log gradient histograms", e);
            }
        }
    }

    /// <summary>Finishes the loggers with success and ends the <c>fit</c> span.</summary>
    public void FitCompleted()
    {
        if (ended) return;
        ended = true;
        log.FitCompleted(globalStep, Stopwatch.GetElapsedTime(fitStart).TotalSeconds);
        loggers?.Finish(RunStatus.Success);
        fit?.SetStatus(ActivityStatusCode.Ok);
        EndSpans();
    }

    /// <summary>Finishes the loggers with failure (or cancellation), flushing what they hold, and ends the spans with the error.</summary>
    public void FitFailed(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (ended) return;
        ended = true;
        var status = exception is OperationCanceledException ? RunStatus.Cancelled : RunStatus.Failed;
        double seconds = Stopwatch.GetElapsedTime(fitStart).TotalSeconds;
        if (status == RunStatus.Cancelled) log.FitCancelled(globalStep, seconds);
        else log.FitFailed(globalStep, seconds, exception);
        loggers?.Finish(status);
        foreach (var span in new[] { epoch, fit })
        {
            span?.SetStatus(ActivityStatusCode.Error, exception.Message);
            span?.AddException(exception);
        }
        EndSpans();
    }

    /// <summary>Starts a <c>validation</c> span for <paramref name="framework"/> outside a recorder (e.g. an evaluator engine's run).</summary>
    public static Activity? StartValidation(string framework, int? epochIndex = null)
    {
        var activity = TrainingTelemetry.ActivitySource.StartActivity(TrainingTelemetry.ValidationActivity);
        activity?.SetTag(TrainingTelemetry.FrameworkTag, framework);
        if (epochIndex is int epoch) activity?.SetTag("unified.epoch", epoch);
        return activity;
    }

    /// <summary>Ends open spans, detaches from the kernel and frees the loss sum; a fit that neither completed nor failed leaves its loggers unfinished.</summary>
    public void Dispose()
    {
        if (kernel is not null) kernel.BeforeOptimizerStep = null;
        EndSpans();
        lossSum?.Dispose();
        lossSum = null;
    }

    void EndSpans()
    {
        epoch?.Dispose();
        fit?.Dispose();
        (epoch, fit) = (null, null);
    }
}
