namespace Unified.Core.Training;

/// <summary>Whether a monitored value is better when lower (<c>val_loss</c>) or higher (<c>val_accuracy</c>), as Lightning's <c>mode="min"|"max"</c>.</summary>
public enum Mode
{
    /// <summary>Lower is better.</summary>
    Min,

    /// <summary>Higher is better.</summary>
    Max,
}
