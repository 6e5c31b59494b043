using Microsoft.Extensions.Logging;

namespace Unified.Core.Logging.Mlflow;

/// <summary>How an <see cref="MlflowLogger"/> reaches its tracking server, as the arguments of Lightning's <c>MLFlowLogger</c> plus the failure policy.</summary>
public sealed class MlflowLoggerOptions
{
    /// <summary>The environment variable read when <see cref="TrackingUri"/> is null.</summary>
    public const string TrackingUriVariable = "MLFLOW_TRACKING_URI";

    /// <summary>The tracking server, e.g. <c>http://127.0.0.1:5000</c>; null reads <c>MLFLOW_TRACKING_URI</c>.</summary>
    public string? TrackingUri { get; set; }

    /// <summary>The experiment to log under; created when missing (default <c>lightning_logs</c>, as Lightning).</summary>
    public string ExperimentName { get; set; } = "lightning_logs";

    /// <summary>
    /// An existing run to continue (Lightning's <c>MLFlowLogger(run_id=...)</c>), e.g. when a fit resumes from a
    /// checkpoint: it is set back to RUNNING and logged into instead of creating a new run; null creates one.
    /// </summary>
    public string? RunId { get; set; }

    /// <summary>The run's display name; null lets the server pick one.</summary>
    public string? RunName { get; set; }

    /// <summary>Tags set when the run is created.</summary>
    public IDictionary<string, string> Tags { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Put before every metric key, joined with <c>-</c> (Lightning's <c>prefix</c>).</summary>
    public string Prefix { get; set; } = "";

    /// <summary>How long one request may take before it counts as failed (default 10 s).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Tries per request on connection errors, timeouts, HTTP 429 and 5xx (default 3).</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Wait before the second try; doubled before every further one (default 0.5 s).</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(0.5);

    /// <summary>
    /// After a flush that could not reach the server, later flushes during training skip the network for this long
    /// (doubled after every further failure, up to 16 times); the data stays buffered. <c>Finish</c> always tries.
    /// </summary>
    public TimeSpan RetryCooldown { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Where warnings go (server down, values rejected); null for none.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Throws when a value is out of range, naming the field.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ExperimentName)) throw new ArgumentException("MlflowLoggerOptions.ExperimentName must not be empty.", nameof(ExperimentName));
        if (RequestTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(RequestTimeout), RequestTimeout, "MlflowLoggerOptions.RequestTimeout must be positive.");
        if (MaxAttempts < 1) throw new ArgumentOutOfRangeException(nameof(MaxAttempts), MaxAttempts, "MlflowLoggerOptions.MaxAttempts must be at least 1.");
        if (InitialBackoff < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(InitialBackoff), InitialBackoff, "MlflowLoggerOptions.InitialBackoff must not be negative.");
        if (RetryCooldown < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(RetryCooldown), RetryCooldown, "MlflowLoggerOptions.RetryCooldown must not be negative.");
    }
}
