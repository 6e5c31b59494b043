using System.Text;
using Unified.Core.Checkpointing;

namespace Unified.Core.Logging.Csv;

/// <summary>
/// Logs to <c>metrics.csv</c> and <c>hparams.yaml</c> in PyTorch Lightning's <c>CSVLogger</c> layout:
/// <c>SaveDir/Name/version_N/</c>; one row per <see cref="LogMetrics"/> call; one column per key ever logged, sorted,
/// <c>step</c> among them; empty cells for keys a row lacks; Python's number format; CRLF line ends (Python's
/// <c>csv</c> module). Rows are kept in memory and appended at every <see cref="Flush"/>; a new key rewrites the
/// file with the wider header (atomically). A <c>metrics.csv</c> that is already there belongs to another run and is
/// never overwritten, unless this run resumes it (<see cref="Resume"/>): then its rows up to the checkpoint's step
/// are kept and the new ones appended. <see cref="Finish"/> writes what is buffered; rows logged after it (e.g. by a
/// later <c>Validate</c>) are appended to the same file, a new key widening its header as Lightning's
/// <c>_ExperimentWriter.save</c> does.
/// </summary>
/// <example><code>var csv = new CsvLogger(new CsvLoggerOptions { SaveDir = "logs", Name = "mnist" }); // logs/mnist/version_0/metrics.csv</code></example>
public sealed class CsvLogger : IExperimentLogger
{
    /// <summary>The metrics file name.</summary>
    public const string MetricsFileName = "metrics.csv";

    static readonly UTF8Encoding Utf8 = new(false);
    readonly CsvLoggerOptions options;
    readonly List<string> keys = [];
    readonly List<Dictionary<string, string>> pending = [], written = [];
    readonly Dictionary<string, object?> hyperparameters = new(StringComparer.Ordinal);
    // foreign: metrics.csv was there before this logger and no resume has claimed it; rewrite: resumed rows were dropped.
    bool foreign, rewrite, disposed;

    /// <summary>Resolves the run folder, creates it and checks that it is writable.</summary>
    /// <exception cref="IOException">The folder cannot be created or written.</exception>
    public CsvLogger(CsvLoggerOptions? options = null)
    {
        this.options = options ?? new CsvLoggerOptions();
        if (this.options.FlushLogsEveryNSteps < 1)
            throw new ArgumentOutOfRangeException(nameof(options), this.options.FlushLogsEveryNSteps, "CsvLoggerOptions.FlushLogsEveryNSteps must be at least 1.");
        LogDir = LogDirectory.Resolve(this.options.SaveDir, this.options.Name, this.options.Version);
        LogDirectory.EnsureWritable(LogDir, Name);
        MetricsFile = Path.Combine(LogDir, MetricsFileName);
        foreign = File.Exists(MetricsFile);
    }

    /// <inheritdoc />
    public string Name => "csv";

    /// <summary>The run folder (Lightning's <c>log_dir</c>).</summary>
    public string LogDir { get; }

    /// <summary>The full path of <c>metrics.csv</c>.</summary>
    public string MetricsFile { get; }

    /// <summary>Keeps the rows of the existing <c>metrics.csv</c> up to <paramref name="step"/>; rows after it are dropped when the file is next written.</summary>
    /// <exception cref="InvalidDataException">The existing file is damaged.</exception>
    public void Resume(long step)
    {
        ThrowIfDisposed();
        foreign = false;
        if (!File.Exists(MetricsFile)) return;
        var (header, rows) = CsvTable.Read(MetricsFile);
        var kept = rows.Where(row => !(row.TryGetValue("step", out string? cell) && long.TryParse(cell, out long at) && at > step)).ToList();
        keys.Clear();
        keys.AddRange(header);
        written.Clear();
        written.AddRange(kept);
        rewrite = kept.Count < rows.Count;
    }

    /// <inheritdoc />
    public void LogHyperparameters(IReadOnlyDictionary<string, object?> hyperparameters)
    {
        ArgumentNullException.ThrowIfNull(hyperparameters);
        ThrowIfDisposed();
        ThrowIfForeign();
        foreach (var (key, value) in hyperparameters) this.hyperparameters[key] = value;
        HparamsYaml.Write(Path.Combine(LogDir, HparamsYaml.FileName), this.hyperparameters);
    }

    /// <inheritdoc />
    public void LogMetrics(IReadOnlyDictionary<string, double> metrics, long step)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        ThrowIfDisposed();
        var row = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in metrics)
        {
            string name = options.Prefix.Length > 0 ? options.Prefix + "-" + key : key;
            // Lightning's trainer logs the epoch as a Python int; every other value is a float.
            row[name] = name == "epoch" && value == Math.Floor(value) && Math.Abs(value) < 1e15
                ? ((long)value).ToString(System.Globalization.CultureInfo.InvariantCulture)
                : PythonFormat.Float(value);
        }
        row["step"] = step.ToString(System.Globalization.CultureInfo.InvariantCulture);
        pending.Add(row);
        if ((step + 1) % options.FlushLogsEveryNSteps == 0) Flush();
    }

    /// <inheritdoc />
    public void Flush()
    {
        if (pending.Count == 0 && !rewrite) return;
        ThrowIfForeign();
        var newKeys = pending.SelectMany(r => r.Keys).Distinct().Where(k => !keys.Contains(k)).ToList();
        keys.AddRange(newKeys);
        keys.Sort(StringComparer.Ordinal);
        if (newKeys.Count > 0 || rewrite || !File.Exists(MetricsFile))
        {
            // The header changes: write the whole file anew under the final name only once it is complete.
            AtomicFile.Write(MetricsFile, stream =>
            {
                using var writer = new StreamWriter(stream, Utf8, leaveOpen: true);
                WriteRow(writer, keys);
                foreach (var row in written.Concat(pending)) WriteRow(writer, keys.Select(k => row.GetValueOrDefault(k, "")));
            });
        }
        else
        {
            using var stream = new FileStream(MetricsFile, FileMode.Append, FileAccess.Write, FileShare.Read);
            using var writer = new StreamWriter(stream, Utf8);
            foreach (var row in pending) WriteRow(writer, keys.Select(k => row.GetValueOrDefault(k, "")));
        }
        written.AddRange(pending);
        pending.Clear();
        rewrite = false;
    }

    /// <summary>Writes what is buffered (a CSV file records no status: Lightning's <c>CSVLogger.finalize</c> only saves); later rows go to the same file.</summary>
    public void Finish(RunStatus status) => Flush();

    /// <summary>Writes what is buffered, except into another run's file, which was refused already.</summary>
    public void Dispose()
    {
        if (disposed) return;
        if (!foreign) Flush();
        disposed = true;
    }

    void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(disposed, this);

    void ThrowIfForeign()
    {
        if (foreign)
            throw new IOException($"'{MetricsFile}' was written by another run and is left as it is; log to another version or folder, or resume that run.");
    }

    // Python's csv.writer defaults: quote only when needed, double embedded quotes, "\r\n" after every row.
    static void WriteRow(TextWriter writer, IEnumerable<string> cells)
    {
        bool first = true;
        foreach (string cell in cells)
        {
            if (!first) writer.Write(',');
            first = false;
            if (cell.AsSpan().IndexOfAny(",\"\r\n") >= 0) writer.Write("\"" + cell.Replace("\"", "\"\"") + "\"");
            else writer.Write(cell);
        }
        writer.Write("\r\n");
    }
}
