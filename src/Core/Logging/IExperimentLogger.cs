namespace Unified.Core.Logging;

/// <summary>
/// An experiment tracker that records a run's hyper-parameters and metrics (Lightning's <c>Logger</c>, Ignite's
/// <c>BaseLogger</c>): CSV, TensorBoard or MLflow. Calls are buffered; <see cref="Flush"/> writes them out and
/// <see cref="Finish"/> writes the rest and records how the stage ended. A finished logger is not spent: as in
/// Lightning, where every stage (fit, validate, test, predict) ends with <c>logger.finalize("success")</c> and the next
/// stage logs into the same loggers (trainer/call.py <c>_call_teardown_hook</c>), a call after <see cref="Finish"/>
/// continues the same run. <see cref="IDisposable.Dispose"/> ends it for good. In a multi-process run only rank 0
/// should log; the caller decides (see <see cref="FitRecorderOptions.ProcessGroup"/>).
/// </summary>
/// <example><code>
/// using var csv = new CsvLogger(new CsvLoggerOptions { SaveDir = "logs" });
/// csv.LogHyperparameters(new Dictionary&lt;string, object?&gt; { ["lr"] = 1e-3 });
/// csv.LogMetrics(new Dictionary&lt;string, double&gt; { ["val_loss"] = 0.25 }, step: 100);
/// csv.Finish(RunStatus.Success);
/// </code></example>
public interface IExperimentLogger : IDisposable
{
    /// <summary>A short name for messages (<c>csv</c>, <c>tensorboard</c>, <c>mlflow</c>).</summary>
    string Name { get; }

    /// <summary>
    /// Records the run's hyper-parameters: numbers, strings, booleans, enums, null, and nested dictionaries of them
    /// (flattened with <c>/</c> where the format is flat). Other values are recorded as their <c>ToString()</c>.
    /// </summary>
    void LogHyperparameters(IReadOnlyDictionary<string, object?> hyperparameters);

    /// <summary>Records scalar <paramref name="metrics"/> at <paramref name="step"/> (64-bit, e.g. the optimiser step).</summary>
    void LogMetrics(IReadOnlyDictionary<string, double> metrics, long step);

    /// <summary>Records a histogram (e.g. of a layer's weights); loggers whose format has none ignore it.</summary>
    void LogHistogram(string tag, HistogramValues histogram, long step) { }

    /// <summary>
    /// Continues the run of a resumed fit whose checkpoint was saved at optimiser step <paramref name="step"/>: what
    /// this logger recorded after that step belongs to the interrupted run and is logged again, so it is discarded
    /// (CSV drops those rows, TensorBoard gets a purge marker); history up to the step is kept. Called before anything
    /// else is logged.
    /// </summary>
    void Resume(long step) { }

    /// <summary>Writes everything buffered so far.</summary>
    void Flush();

    /// <summary>
    /// Writes everything buffered and records how the stage ended (Lightning's <c>finalize(status)</c>). Later calls
    /// continue the same run (CSV: the same <c>metrics.csv</c>; TensorBoard: a new event file in the same folder;
    /// MLflow: the same run, whose status the next <see cref="Finish"/> sets again).
    /// </summary>
    void Finish(RunStatus status);
}
