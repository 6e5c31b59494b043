namespace Unified.Core.Logging.TensorBoard;

/// <summary>
/// Writes a standard TensorBoard event file (<c>events.out.tfevents.*</c>, TFRecord framing with masked CRC32C) in
/// Lightning's layout <c>SaveDir/Name/version_N/</c>, plus <c>hparams.yaml</c>: scalars as <c>add_scalar</c> writes
/// them, hyper-parameters as the hparams plugin's summaries (as PyTorch's <c>hparams()</c>), histograms. Wall times are
/// Unix seconds with sub-second precision and steps are 64-bit. The file stays open and buffered; <see cref="Flush"/>
/// hands it to the OS and <see cref="Finish"/> records the run's status and closes it. A call after <see cref="Finish"/>
/// (e.g. a later <c>Validate</c>) starts a new event file in the same folder, as PyTorch's <c>SummaryWriter</c> does
/// after <c>close()</c> (Lightning's <c>TensorBoardLogger.finalize</c> closes it at the end of every stage); nothing
/// is purged, so TensorBoard shows both files as one run.
/// </summary>
/// <example><code>var tb = new TensorBoardLogger(new TensorBoardLoggerOptions { SaveDir = "logs" }); // tensorboard --logdir logs</code></example>
public sealed class TensorBoardLogger : IExperimentLogger
{
    readonly TensorBoardLoggerOptions options;
    readonly string eventDir;
    readonly Dictionary<string, object?> hyperparameters = new(StringComparer.Ordinal);
    EventFileWriter? open;
    bool sessionStarted, disposed;

    /// <summary>Resolves the run folder, checks that it is writable and starts the event file.</summary>
    /// <exception cref="IOException">The folder cannot be created or written.</exception>
    public TensorBoardLogger(TensorBoardLoggerOptions? options = null)
    {
        this.options = options ?? new TensorBoardLoggerOptions();
        LogDir = LogDirectory.Resolve(this.options.SaveDir, this.options.Name, this.options.Version);
        eventDir = string.IsNullOrEmpty(this.options.SubDir) ? LogDir : Path.Combine(LogDir, this.options.SubDir);
        LogDirectory.EnsureWritable(eventDir, Name);
        open = new EventFileWriter(eventDir, this.options.FilenameSuffix);
        EventFile = open.Path;
    }

    /// <inheritdoc />
    public string Name => "tensorboard";

    /// <summary>The run folder (Lightning's <c>log_dir</c>); point <c>tensorboard --logdir</c> at it or a parent.</summary>
    public string LogDir { get; }

    /// <summary>The event file being written, or after <see cref="Finish"/> the last one written.</summary>
    public string EventFile { get; private set; }

    // The open event file; after Finish the next write starts a new one (never reusing a name: EventFileWriter counts).
    EventFileWriter Writer
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (open is null)
            {
                open = new EventFileWriter(eventDir, options.FilenameSuffix);
                EventFile = open.Path;
            }
            return open;
        }
    }

    /// <inheritdoc />
    public void LogHyperparameters(IReadOnlyDictionary<string, object?> hyperparameters)
    {
        ArgumentNullException.ThrowIfNull(hyperparameters);
        ObjectDisposedException.ThrowIf(disposed, this);
        foreach (var (key, value) in hyperparameters) this.hyperparameters[key] = value;
        HparamsYaml.Write(Path.Combine(LogDir, HparamsYaml.FileName), this.hyperparameters);

        var flat = HyperparameterValues.Flatten(this.hyperparameters);
        var metrics = options.HparamsMetrics.ToList();
        if (options.DefaultHpMetric)
        {
            LogMetrics(new Dictionary<string, double> { ["hp_metric"] = -1 }, 0);
            metrics.Insert(0, Tag("hp_metric"));
        }
        double now = EventFileWriter.WallTime();
        Writer.Write(TensorBoardEvents.Experiment(now, flat, metrics.Distinct()));
        Writer.Write(TensorBoardEvents.SessionStart(now, flat));
        sessionStarted = true;
    }

    /// <summary>Writes a purge marker for the steps after <paramref name="step"/>, as <c>SummaryWriter(purge_step=step + 1)</c>, so that TensorBoard drops the interrupted run's later events.</summary>
    public void Resume(long step)
    {
        foreach (var record in TensorBoardEvents.Purge(EventFileWriter.WallTime(), step + 1)) Writer.Write(record);
    }

    /// <inheritdoc />
    public void LogMetrics(IReadOnlyDictionary<string, double> metrics, long step)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var writer = Writer;
        double now = EventFileWriter.WallTime();
        foreach (var (key, value) in metrics) writer.Write(TensorBoardEvents.Scalar(now, step, Tag(key), (float)value));
    }

    /// <inheritdoc />
    public void LogHistogram(string tag, HistogramValues histogram, long step)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tag);
        ArgumentNullException.ThrowIfNull(histogram);
        Writer.Write(TensorBoardEvents.Histogram(EventFileWriter.WallTime(), step, Tag(tag), histogram));
    }

    /// <inheritdoc />
    public void Flush() => open?.Flush();

    /// <summary>
    /// Records the hparams session's end (success, or failure for a failed or cancelled run) if one was started, flushes
    /// and closes the file; a later call writes to a new file in the same folder.
    /// </summary>
    public void Finish(RunStatus status)
    {
        if (open is null) return;
        if (sessionStarted)
            open.Write(TensorBoardEvents.SessionEnd(EventFileWriter.WallTime(),
                status == RunStatus.Success ? TensorBoardEvents.StatusSuccess : TensorBoardEvents.StatusFailure));
        sessionStarted = false;
        open.Dispose();
        open = null;
    }

    /// <summary>Flushes and closes the file without recording how the run ended (use <see cref="Finish"/> for that); later calls throw.</summary>
    public void Dispose()
    {
        disposed = true;
        open?.Dispose();
        open = null;
    }

    string Tag(string key) => options.Prefix.Length > 0 ? options.Prefix + "-" + key : key;
}
