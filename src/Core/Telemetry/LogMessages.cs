using Microsoft.Extensions.Logging;

namespace Unified.Core.Telemetry;

/// <summary>The framework's <see cref="ILogger"/> events (source-generated, allocation-free when the level is off).</summary>
internal static partial class LogMessages
{
    [LoggerMessage(EventId = 1, EventName = "FitStarted", Level = LogLevel.Information,
        Message = "Fit started ({Framework}): {MaxEpochs} epochs of {BatchesPerEpoch} batches, {Loggers} experiment logger(s)")]
    public static partial void FitStarted(this ILogger logger, string framework, int maxEpochs, int batchesPerEpoch, int loggers);

    [LoggerMessage(EventId = 2, EventName = "EpochCompleted", Level = LogLevel.Information,
        Message = "Epoch {Epoch} completed at step {GlobalStep}: {Metrics}")]
    public static partial void EpochCompleted(this ILogger logger, int epoch, long globalStep, string metrics);

    [LoggerMessage(EventId = 3, EventName = "FitCompleted", Level = LogLevel.Information,
        Message = "Fit completed: {GlobalStep} steps in {Seconds:F1} s")]
    public static partial void FitCompleted(this ILogger logger, long globalStep, double seconds);

    [LoggerMessage(EventId = 4, EventName = "FitFailed", Level = LogLevel.Error,
        Message = "Fit failed at step {GlobalStep} after {Seconds:F1} s")]
    public static partial void FitFailed(this ILogger logger, long globalStep, double seconds, Exception exception);

    // A cancellation is asked for (a host stopping, Ctrl+C) and leaves a resumable checkpoint: not an error.
    [LoggerMessage(EventId = 5, EventName = "FitCancelled", Level = LogLevel.Information,
        Message = "Fit cancelled at step {GlobalStep} after {Seconds:F1} s")]
    public static partial void FitCancelled(this ILogger logger, long globalStep, double seconds);

    [LoggerMessage(EventId = 10, EventName = "ExperimentLoggerFailed", Level = LogLevel.Warning,
        Message = "Experiment logger '{LoggerName}' failed to {Operation}; training goes on without it for this call")]
    public static partial void ExperimentLoggerFailed(this ILogger logger, string loggerName, string operation, Exception exception);

    [LoggerMessage(EventId = 20, EventName = "MlflowUnavailable", Level = LogLevel.Warning,
        Message = "MLflow {Endpoint} at {TrackingUri} failed after {Attempts} attempt(s): {Reason}; {Pending} value(s) kept for the next flush, next try in {RetryInSeconds:F0} s")]
    public static partial void MlflowUnavailable(this ILogger logger, string endpoint, string trackingUri, int attempts, string reason, int pending, double retryInSeconds);

    [LoggerMessage(EventId = 21, EventName = "MlflowRejected", Level = LogLevel.Warning,
        Message = "MLflow {Endpoint} at {TrackingUri} rejected {Count} value(s) with HTTP {Status} {ErrorCode}: {Message}; they are dropped")]
    public static partial void MlflowRejected(this ILogger logger, string endpoint, string trackingUri, int count, int status, string errorCode, string message);

    [LoggerMessage(EventId = 22, EventName = "MlflowUndelivered", Level = LogLevel.Warning,
        Message = "MLflow at {TrackingUri} could not be reached when the run finished: {Metrics} metric value(s), {Params} param(s) and {Tags} tag(s) were not delivered, and the run's status ({Status}) was not recorded")]
    public static partial void MlflowUndelivered(this ILogger logger, string trackingUri, int metrics, int @params, int tags, string status);

    [LoggerMessage(EventId = 23, EventName = "MlflowKeyRenamed", Level = LogLevel.Warning,
        Message = "MLflow keys may hold letters, digits, '_', '-', '.', ' ' and '/'; '{Key}' is logged as '{Sanitized}'")]
    public static partial void MlflowKeyRenamed(this ILogger logger, string key, string sanitized);
}
