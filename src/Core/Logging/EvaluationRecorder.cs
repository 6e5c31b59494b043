namespace Unified.Core.Logging;

/// <summary>
/// Sends an evaluation run's metrics to the experiment loggers as Lightning 2.x's logger connector does
/// (trainer/connectors/logger_connector/logger_connector.py): after every evaluation batch what was logged per step
/// (<c>update_eval_step_metrics</c>), at the number of evaluation batches seen before it (evaluation_loop.py
/// <c>_seen_batches_per_dataloader</c>, which counts on across the validation runs of one fit); at a standalone run's
/// end the epoch values plus <c>epoch</c> at the fit's global step (<c>log_eval_end_metrics</c>). Sanity-check batches
/// are neither logged nor counted: do not pass them. A logger that fails is a warning, never a failed run; loggers
/// are only called on rank 0.
/// </summary>
/// <example><code>
/// var evaluation = new EvaluationRecorder(new FitRecorderOptions { Loggers = loggers });
/// foreach (var batch in batches) { /* step */ evaluation.BatchCompleted(stepValues); }
/// evaluation.RunCompleted(metrics, epoch: trainer.CurrentEpoch, globalStep: trainer.GlobalStep);
/// evaluation.Finish(RunStatus.Success);
/// </code></example>
public sealed class EvaluationRecorder
{
    readonly ExperimentLoggerCollection? loggers;

    /// <summary>Creates a recorder for a standalone evaluation (<c>Validate</c>, <c>Test</c>) with its own view of the loggers.</summary>
    public EvaluationRecorder(FitRecorderOptions? options = null)
    {
        options ??= new FitRecorderOptions();
        options.Validate();
        loggers = options.RankZeroLoggers(options.LoggerFactory);
    }

    // A fit's evaluation shares the fit's loggers (and their failure count).
    internal EvaluationRecorder(ExperimentLoggerCollection? loggers) => this.loggers = loggers;

    /// <summary>Whether anything reaches a logger; when false, callers need not read per-step values (a host sync).</summary>
    public bool Logs => loggers is not null;

    /// <summary>Evaluation batches seen so far (Lightning's <c>_seen_batches_per_dataloader</c>): the step of the next batch's values.</summary>
    public long BatchesSeen { get; private set; }

    /// <summary>Logger calls that failed (each was logged as a warning).</summary>
    public int LoggerFailures => loggers?.FailureCount ?? 0;

    /// <summary>Counts a batch and logs <paramref name="stepMetrics"/> (what it logged per step, read only when <see cref="Logs"/>) at the batches seen before it.</summary>
    public void BatchCompleted(Func<IReadOnlyDictionary<string, double>>? stepMetrics)
    {
        // log_metrics with an explicit step adds no epoch, and an empty dict logs nothing.
        if (loggers is not null && stepMetrics?.Invoke() is { Count: > 0 } metrics) loggers.LogMetrics(metrics, BatchesSeen);
        BatchesSeen++;
    }

    /// <summary>
    /// Logs the run's epoch <paramref name="metrics"/> with <c>epoch</c> at <paramref name="globalStep"/> (a logged
    /// <c>step</c> value is the step instead, without <c>epoch</c>, as Lightning's <c>log_metrics</c> does) and flushes.
    /// </summary>
    public void RunCompleted(IReadOnlyDictionary<string, double> metrics, int epoch, long globalStep)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        if (loggers is null || metrics.Count == 0) return;
        var row = new Dictionary<string, double>(metrics, StringComparer.Ordinal);
        long step = globalStep;
        if (row.Remove("step", out double logged)) step = (long)logged;
        else row.TryAdd("epoch", epoch);
        loggers.LogMetrics(row, step);
        loggers.Flush();
    }

    /// <summary>Finishes the loggers (Lightning's <c>finalize</c>: <c>success</c> at a stage's end, <c>failed</c> when it failed); they can be used again.</summary>
    public void Finish(RunStatus status) => loggers?.Finish(status);

    /// <summary>Finishes the loggers with the status <paramref name="exception"/> stands for (cancelled or failed).</summary>
    public void Failed(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        Finish(exception is OperationCanceledException ? RunStatus.Cancelled : RunStatus.Failed);
    }
}
