namespace Unified.Cli.Fit;

/// <summary>A fit stopped by cancellation (a signal) after saving a resumable checkpoint.</summary>
public sealed class FitInterruptedException(string checkpoint, OperationCanceledException inner)
    : OperationCanceledException($"The fit was stopped; resume it from '{checkpoint}'.", inner)
{
    /// <summary>The checkpoint that resumes the fit.</summary>
    public string Checkpoint { get; } = checkpoint;
}
