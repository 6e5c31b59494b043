using Microsoft.Extensions.Logging;

namespace Unified.Hosting;

internal static partial class TrainingJobLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Training {Module} with {Framework}, resuming from {Checkpoint}.")]
    public static partial void Starting(ILogger logger, string module, string framework, string checkpoint);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Training completed after {Steps} steps; weights_sha256 {Sha256}.")]
    public static partial void Completed(ILogger logger, long steps, string sha256);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Training stopped by the host; it resumes from {Checkpoint}.")]
    public static partial void Cancelled(ILogger logger, string checkpoint);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "Training failed.")]
    public static partial void Failed(ILogger logger, Exception exception);
}
