using Unified.Core.Training;

namespace Unified.Core.Checkpointing;

/// <summary>
/// Which checkpoints a fit writes, declared once for both front-ends: a rolling <c>last.ckpt</c> (after every epoch,
/// every <see cref="EveryNTrainSteps"/> steps and on cancellation) and optionally the <see cref="SaveTopK"/> best by
/// <see cref="Monitor"/>. The Lightning front-end realises it as <c>ModelCheckpoint</c>, the Ignite front-end as
/// <c>Checkpoint</c> handlers.
/// </summary>
public sealed record CheckpointPolicy
{
    /// <summary>The folder the checkpoints go to; null: no checkpoints.</summary>
    public string? DirPath { get; init; }

    /// <summary>Also write <c>last.ckpt</c> every n optimiser steps; null: per epoch only.</summary>
    public int? EveryNTrainSteps { get; init; }

    /// <summary>Best checkpoints to keep by <see cref="Monitor"/> (0, the default: none besides <c>last.ckpt</c>; -1: all).</summary>
    public int SaveTopK { get; init; }

    /// <summary>The logged metric that ranks checkpoints, e.g. <c>val_loss</c>; needed when <see cref="SaveTopK"/> is not 0.</summary>
    public string? Monitor { get; init; }

    /// <summary>Whether lower (default) or higher <see cref="Monitor"/> is better.</summary>
    public Mode Mode { get; init; } = Mode.Min;

    /// <summary>Throws when a value is out of range or the values conflict, naming the field and the fix.</summary>
    public void Validate()
    {
        if (EveryNTrainSteps is < 1) throw new ArgumentOutOfRangeException(nameof(EveryNTrainSteps), EveryNTrainSteps, "Checkpoints.EveryNTrainSteps must be a positive integer (or null).");
        if (SaveTopK < -1) throw new ArgumentOutOfRangeException(nameof(SaveTopK), SaveTopK, "Checkpoints.SaveTopK must be -1 (all), 0 (none) or a positive count.");
        if ((EveryNTrainSteps is not null || SaveTopK != 0) && DirPath is null)
            throw new ArgumentException("Checkpoints need DirPath to say where they go (CheckpointEveryNSteps and SaveTopK need it).", nameof(DirPath));
        if (SaveTopK != 0 && string.IsNullOrWhiteSpace(Monitor))
            throw new ArgumentException("Checkpoints.SaveTopK needs Monitor, the metric that ranks them (e.g. \"val_loss\").", nameof(Monitor));
        if (!Enum.IsDefined(Mode)) throw new ArgumentOutOfRangeException(nameof(Mode), Mode, "Checkpoints.Mode must be Min or Max.");
    }
}
