using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Unified.Core.Telemetry;

namespace Unified.Core.Logging;

/// <summary>
/// Several experiment loggers used as one (e.g. TensorBoard and MLflow together). A logger that throws is reported
/// as a warning through <see cref="ILogger"/> and the others go on, so that a full disk or a broken tracker never
/// costs the training run.
/// </summary>
/// <example><code>var loggers = new ExperimentLoggerCollection([new TensorBoardLogger(tb), new MlflowLogger(mlflow)], loggerFactory);</code></example>
public sealed class ExperimentLoggerCollection(IEnumerable<IExperimentLogger> loggers, ILoggerFactory? loggerFactory = null) : IExperimentLogger
{
    readonly IExperimentLogger[] loggers = loggers?.ToArray() ?? throw new ArgumentNullException(nameof(loggers));
    readonly ILogger log = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<ExperimentLoggerCollection>();

    /// <summary>The loggers, in call order.</summary>
    public IReadOnlyList<IExperimentLogger> Loggers => loggers;

    /// <summary>Failures caught since creation (each was logged as a warning).</summary>
    public int FailureCount { get; private set; }

    /// <inheritdoc />
    public string Name => string.Join("+", loggers.Select(l => l.Name));

    /// <inheritdoc />
    public void LogHyperparameters(IReadOnlyDictionary<string, object?> hyperparameters) =>
        Each(l => l.LogHyperparameters(hyperparameters), "log hyper-parameters");

    /// <inheritdoc />
    public void LogMetrics(IReadOnlyDictionary<string, double> metrics, long step) =>
        Each(l => l.LogMetrics(metrics, step), "log metrics");

    /// <inheritdoc />
    public void LogHistogram(string tag, HistogramValues histogram, long step) =>
        Each(l => l.LogHistogram(tag, histogram, step), "log a histogram");

    /// <inheritdoc />
    public void Resume(long step) => Each(l => l.Resume(step), "resume the run");

    /// <inheritdoc />
    public void Flush() => Each(l => l.Flush(), "flush");

    /// <inheritdoc />
    public void Finish(RunStatus status) => Each(l => l.Finish(status), "finish the run");

    /// <inheritdoc />
    public void Dispose() => Each(l => l.Dispose(), "close");

    void Each(Action<IExperimentLogger> call, string operation)
    {
        foreach (var logger in loggers)
        {
            try
            {
                call(logger);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                FailureCount++;
                log.ExperimentLoggerFailed(logger.Name, operation, e);
            }
        }
    }
}
