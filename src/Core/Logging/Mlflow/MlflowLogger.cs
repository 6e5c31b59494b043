using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Unified.Core.Telemetry;

namespace Unified.Core.Logging.Mlflow;

/// <summary>
/// Logs to an MLflow tracking server through its REST API 2.0: finds or creates the experiment
/// (<c>experiments/get-by-name</c>, <c>experiments/create</c>), creates the run (<c>runs/create</c>), sends buffered
/// params, tags and metrics with <c>runs/log-batch</c> in chunks within MLflow's limits (1000 metrics, 100 params,
/// 100 tags, 1000 values per request) and closes the run with <c>runs/update</c> (FINISHED, FAILED or KILLED).
/// Nothing touches the network until the first flush. A server that is down or slow never stops training: each
/// request has a timeout and bounded retries with back-off, then a warning is logged and the data stays buffered for
/// the next flush. After <see cref="Finish"/> the logger keeps the run: a later call (e.g. a later <c>Validate</c>)
/// logs into it and the next <see cref="Finish"/> sets its status and end time again, as Lightning's
/// <c>MLFlowLogger.finalize</c> (<c>set_terminated</c>) does at the end of every stage. MLflow's deprecated
/// <c>mlruns/</c> file store is not written.
/// </summary>
/// <example><code>var mlflow = new MlflowLogger(new MlflowLoggerOptions { TrackingUri = "http://127.0.0.1:5000", ExperimentName = "digits" });</code></example>
public sealed partial class MlflowLogger : IExperimentLogger
{
    /// <summary>MLflow's limits per <c>runs/log-batch</c> request.</summary>
    public const int MaxMetricsPerBatch = 1000, MaxParamsPerBatch = 100, MaxTagsPerBatch = 100, MaxValuesPerBatch = 1000;

    /// <summary>MLflow's longest param value; longer values are cut.</summary>
    public const int MaxParamValueLength = 6000;

    readonly MlflowLoggerOptions options;
    readonly MlflowClient client;
    readonly ILogger log;
    readonly long startTime = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    readonly List<(string Key, double Value, long Timestamp, long Step)> metrics = [];
    readonly List<KeyValuePair<string, string>> @params = [], tags = [];
    readonly Dictionary<string, string> sentParams = new(StringComparer.Ordinal);
    readonly HashSet<string> renamed = new(StringComparer.Ordinal);
    long retryAt;
    int failures;
    // reopen: a continued run (options.RunId) is set back to RUNNING before anything is logged into it.
    bool disposed, reopen;

    /// <summary>Checks the options and the tracking URI; does not contact the server (see <see cref="Connect"/>).</summary>
    /// <exception cref="ArgumentException">No tracking URI is set, or it is not an <c>http(s)://</c> URI.</exception>
    public MlflowLogger(MlflowLoggerOptions? options = null)
    {
        this.options = options ?? new MlflowLoggerOptions();
        this.options.Validate();
        TrackingUri = ResolveTrackingUri(this.options.TrackingUri);
        client = new MlflowClient(TrackingUri, this.options.RequestTimeout, this.options.MaxAttempts, this.options.InitialBackoff);
        log = (this.options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<MlflowLogger>();
        (RunId, reopen) = (this.options.RunId, this.options.RunId is not null);
    }

    /// <inheritdoc />
    public string Name => "mlflow";

    /// <summary>The tracking server.</summary>
    public Uri TrackingUri { get; }

    /// <summary>The experiment's id, once known.</summary>
    public string? ExperimentId { get; private set; }

    /// <summary>The run's id, once the run exists on the server.</summary>
    public string? RunId { get; private set; }

    /// <summary>Values logged but not yet accepted by the server.</summary>
    public int PendingCount => metrics.Count + @params.Count + tags.Count;

    /// <summary>
    /// Finds or creates the experiment and creates the run now, for callers that want to fail fast before training.
    /// </summary>
    /// <exception cref="MlflowException">The server cannot be reached or refused; the message says which and how to fix it.</exception>
    public void Connect()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (EnsureRun() is { } failure)
            throw new MlflowException(
                $"MLflow tracking server at {TrackingUri} could not be used: {failure.Message}. Start it (e.g. 'mlflow server --host 127.0.0.1 --port 5000') " +
                $"or point {nameof(MlflowLoggerOptions.TrackingUri)} / {MlflowLoggerOptions.TrackingUriVariable} at a running one.");
    }

    /// <inheritdoc />
    public void LogHyperparameters(IReadOnlyDictionary<string, object?> hyperparameters)
    {
        ArgumentNullException.ThrowIfNull(hyperparameters);
        ObjectDisposedException.ThrowIf(disposed, this);
        foreach (var (key, value) in HyperparameterValues.Flatten(hyperparameters))
        {
            string text = HyperparameterValues.AsText(value);
            if (text.Length > MaxParamValueLength) text = text[..MaxParamValueLength];
            string name = Key(key);
            // Params are immutable in MLflow: resending an unchanged one is allowed, so only changes need care.
            if (sentParams.TryGetValue(name, out var sent) && sent == text) continue;
            @params.Add(new(name, text));
        }
    }

    /// <summary>Sets run tags (sent with the next batch); a later value for a key replaces the earlier one.</summary>
    public void LogTags(IReadOnlyDictionary<string, string> tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        ObjectDisposedException.ThrowIf(disposed, this);
        foreach (var (key, value) in tags) this.tags.Add(new(Key(key), value));
    }

    /// <inheritdoc />
    public void LogMetrics(IReadOnlyDictionary<string, double> metrics, long step)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        ObjectDisposedException.ThrowIf(disposed, this);
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var (key, value) in metrics)
            this.metrics.Add((Key(options.Prefix.Length > 0 ? options.Prefix + "-" + key : key), value, now, step));
        if (this.metrics.Count >= MaxMetricsPerBatch) Send(force: false);
    }

    /// <summary>Sends everything buffered, unless the server failed recently (then it waits for the cool-down; nothing is lost). Does nothing once disposed.</summary>
    public void Flush()
    {
        if (!disposed) Send(force: false);
    }

    /// <summary>
    /// Sends everything buffered and sets the run's status (FINISHED, FAILED or KILLED) and end time; warns about
    /// anything it could not deliver. The run stays this logger's: later calls log into it.
    /// </summary>
    public void Finish(RunStatus status)
    {
        if (disposed) return;
        string state = status switch { RunStatus.Success => "FINISHED", RunStatus.Cancelled => "KILLED", _ => "FAILED" };
        if (Send(force: true) && RunId is { } runId)
        {
            var update = client.Post("runs/update", w =>
            {
                w.WriteString("run_id", runId);
                w.WriteString("status", state);
                w.WriteNumber("end_time", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            });
            if (update.Outcome == MlflowOutcome.Ok) return;
            Warn("runs/update", update, 1);
        }
        log.MlflowUndelivered(TrackingUri.ToString(), metrics.Count, @params.Count, tags.Count, state);
    }

    /// <summary>Tries once more to deliver what is buffered, without changing the run's status on the server, and releases the connection; later calls throw.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        try
        {
            if (PendingCount > 0 && !Send(force: true))
                log.MlflowUndelivered(TrackingUri.ToString(), metrics.Count, @params.Count, tags.Count, "RUNNING");
        }
        finally
        {
            client.Dispose();
        }
    }

    /// <summary>Delivers the buffer in batches within MLflow's limits; false when the server could not be reached.</summary>
    bool Send(bool force)
    {
        if (PendingCount == 0 && RunId is not null && !reopen) return true;
        if (!force && Stopwatch.GetTimestamp() < retryAt) return false;
        if (EnsureRun() is { } failure) return Unavailable(failure.Endpoint, failure.Response);
        while (PendingCount > 0)
        {
            int nParams = Math.Min(@params.Count, MaxParamsPerBatch);
            int nTags = Math.Min(tags.Count, MaxTagsPerBatch);
            int nMetrics = Math.Min(metrics.Count, Math.Min(MaxMetricsPerBatch, MaxValuesPerBatch - nParams - nTags));
            var response = client.Post("runs/log-batch", w => WriteBatch(w, nMetrics, nParams, nTags));
            if (response.Outcome == MlflowOutcome.Unavailable) return Unavailable("runs/log-batch", response);
            if (response.Outcome == MlflowOutcome.Rejected)
                log.MlflowRejected("runs/log-batch", TrackingUri.ToString(), nMetrics + nParams + nTags, response.Status, response.ErrorCode, response.Message);
            else
                foreach (var (key, value) in @params.Take(nParams)) sentParams[key] = value;
            metrics.RemoveRange(0, nMetrics);
            @params.RemoveRange(0, nParams);
            tags.RemoveRange(0, nTags);
        }
        failures = 0;
        retryAt = 0;
        return true;
    }

    void WriteBatch(Utf8JsonWriter w, int nMetrics, int nParams, int nTags)
    {
        w.WriteString("run_id", RunId);
        w.WriteStartArray("metrics");
        foreach (var (key, value, timestamp, step) in metrics.Take(nMetrics))
        {
            w.WriteStartObject();
            w.WriteString("key", key);
            // proto3 JSON spells non-finite doubles as strings; MLflow's server parses them.
            if (double.IsFinite(value)) w.WriteNumber("value", value);
            else w.WriteString("value", double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
            w.WriteNumber("timestamp", timestamp);
            w.WriteNumber("step", step);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        WritePairs(w, "params", @params.Take(nParams));
        WritePairs(w, "tags", tags.Take(nTags));
    }

    static void WritePairs(Utf8JsonWriter w, string name, IEnumerable<KeyValuePair<string, string>> pairs)
    {
        w.WriteStartArray(name);
        foreach (var (key, value) in pairs)
        {
            w.WriteStartObject();
            w.WriteString("key", key);
            w.WriteString("value", value);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>Makes sure the experiment and the run exist; returns the failed step, or null.</summary>
    (string Endpoint, MlflowResponse Response, string Message)? EnsureRun()
    {
        if (RunId is not null && !reopen) return null;
        if (reopen)
        {
            var update = client.Post("runs/update", w =>
            {
                w.WriteString("run_id", RunId);
                w.WriteString("status", "RUNNING");
            });
            if (update.Outcome != MlflowOutcome.Ok) return Failed("runs/update", update);
            reopen = false;
            return null;
        }
        if (ExperimentId is null)
        {
            var found = client.Get("experiments/get-by-name", "experiment_name=" + Uri.EscapeDataString(options.ExperimentName));
            if (found.Outcome == MlflowOutcome.Rejected && found.ErrorCode == "RESOURCE_DOES_NOT_EXIST")
            {
                var created = client.Post("experiments/create", w => w.WriteString("name", options.ExperimentName));
                if (created.Outcome == MlflowOutcome.Ok) ExperimentId = ReadString(created.Body, "experiment_id");
                else if (created.ErrorCode == "RESOURCE_ALREADY_EXISTS") // another process created it meanwhile
                    found = client.Get("experiments/get-by-name", "experiment_name=" + Uri.EscapeDataString(options.ExperimentName));
                else return Failed("experiments/create", created);
            }
            if (ExperimentId is null)
            {
                if (found.Outcome != MlflowOutcome.Ok) return Failed("experiments/get-by-name", found);
                ExperimentId = found.Body.TryGetProperty("experiment", out var experiment) ? ReadString(experiment, "experiment_id") : null;
                if (ExperimentId is null) return Failed("experiments/get-by-name", found with { Message = "the answer has no experiment.experiment_id" });
            }
        }
        var run = client.Post("runs/create", w =>
        {
            w.WriteString("experiment_id", ExperimentId);
            w.WriteNumber("start_time", startTime);
            if (options.RunName is { Length: > 0 } runName) w.WriteString("run_name", runName);
            var runTags = new Dictionary<string, string>(options.Tags, StringComparer.Ordinal) { ["mlflow.source.name"] = "unified" };
            runTags.TryAdd("mlflow.user", Environment.UserName);
            if (options.RunName is { Length: > 0 }) runTags["mlflow.runName"] = options.RunName;
            WritePairs(w, "tags", runTags);
        });
        if (run.Outcome != MlflowOutcome.Ok) return Failed("runs/create", run);
        RunId = run.Body.TryGetProperty("run", out var r) && r.TryGetProperty("info", out var info) ? ReadString(info, "run_id") ?? ReadString(info, "run_uuid") : null;
        return RunId is null ? Failed("runs/create", run with { Message = "the answer has no run.info.run_id" }) : null;
    }

    static (string, MlflowResponse, string) Failed(string endpoint, MlflowResponse response) =>
        (endpoint, response, response.Outcome == MlflowOutcome.Rejected
            ? $"{endpoint} was refused with HTTP {response.Status} {response.ErrorCode} {response.Message}".TrimEnd()
            : $"{endpoint} failed after {response.Attempts} attempt(s): {response.Message}");

    static string? ReadString(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value)
            ? value.ValueKind switch { JsonValueKind.String => value.GetString(), JsonValueKind.Number => value.GetRawText(), _ => null }
            : null;

    bool Unavailable(string endpoint, MlflowResponse response)
    {
        failures++;
        var cooldown = options.RetryCooldown * Math.Pow(2, Math.Min(failures - 1, 4));
        retryAt = Stopwatch.GetTimestamp() + (long)(cooldown.TotalSeconds * Stopwatch.Frequency);
        Warn(endpoint, response, cooldown.TotalSeconds);
        return false;
    }

    void Warn(string endpoint, MlflowResponse response, double retryInSeconds)
    {
        string reason = response.Outcome == MlflowOutcome.Rejected
            ? $"HTTP {response.Status} {response.ErrorCode} {response.Message}".TrimEnd()
            : response.Message;
        log.MlflowUnavailable(endpoint, TrackingUri.ToString(), response.Attempts, reason, PendingCount, retryInSeconds);
    }

    string Key(string key)
    {
        string clean = InvalidKeyCharacters().Replace(key, "");
        if (clean != key && renamed.Add(key)) log.MlflowKeyRenamed(key, clean);
        return clean;
    }

    /// <summary>The tracking URI from <paramref name="configured"/>, else <c>MLFLOW_TRACKING_URI</c>; checks it without contacting the server.</summary>
    /// <exception cref="ArgumentException">No URI is set, or it is not an <c>http(s)://</c> URI.</exception>
    public static Uri ResolveTrackingUri(string? configured)
    {
        string? text = string.IsNullOrWhiteSpace(configured) ? Environment.GetEnvironmentVariable(MlflowLoggerOptions.TrackingUriVariable) : configured;
        if (string.IsNullOrWhiteSpace(text))
            throw new ArgumentException(
                $"No MLflow tracking URI: set {nameof(MlflowLoggerOptions)}.{nameof(MlflowLoggerOptions.TrackingUri)} or the {MlflowLoggerOptions.TrackingUriVariable} " +
                "environment variable to a tracking server such as http://127.0.0.1:5000.", nameof(configured));
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException(
                $"MLflow tracking URI '{text}' is not an http:// or https:// address. The mlruns/ file store is deprecated upstream and not written; " +
                "run a tracking server ('mlflow server --host 127.0.0.1 --port 5000') and use its http:// URI.", nameof(configured));
        return uri;
    }

    // Lightning's MLFlowLogger removes the same characters.
    [GeneratedRegex("[^a-zA-Z0-9_/. -]+")]
    private static partial Regex InvalidKeyCharacters();
}
