using Unified.Core.Training;

namespace Unified.Lightning;

/// <summary>Options of <see cref="ModelCheckpoint"/>, as the arguments of Lightning's <c>ModelCheckpoint(...)</c>.</summary>
public sealed class ModelCheckpointOptions
{
    /// <summary>Folder for the checkpoints (required).</summary>
    public string DirPath { get; set; } = "";

    /// <summary>Logged metric to rank checkpoints by (e.g. <c>val_loss</c>); null keeps the newest.</summary>
    public string? Monitor { get; set; }

    /// <summary>Whether lower (<see cref="Mode.Min"/>, default) or higher monitored values are better.</summary>
    public Mode Mode { get; set; } = Mode.Min;

    /// <summary>How many checkpoints to keep: the best k (-1: all, 0: none besides <c>last.ckpt</c>). Default 1.</summary>
    public int SaveTopK { get; set; } = 1;

    /// <summary>Also keep <c>last.ckpt</c> current at every save (Lightning's <c>save_last</c>).</summary>
    public bool SaveLast { get; set; }

    /// <summary>Save every n optimiser steps; null saves by epochs only.</summary>
    public int? EveryNTrainSteps { get; set; }

    /// <summary>Save every n epochs, after validation (default 1; 0 disables epoch saves).</summary>
    public int EveryNEpochs { get; set; } = 1;

    /// <summary>
    /// File name template without extension (Lightning's <c>filename</c>): <c>{name}</c> or <c>{name:format}</c> with
    /// <c>epoch</c>, <c>step</c> or a logged metric and a Python format such as <c>.3f</c> or <c>03d</c>; each becomes
    /// <c>name=value</c> (<c>"{epoch}-{val_loss:.3f}"</c> → <c>epoch=2-val_loss=0.123.ckpt</c>). Null (default):
    /// <c>epoch=E-step=S</c>, plus <c>-monitor=value</c> with a monitor.
    /// </summary>
    public string? Filename { get; set; }

    /// <summary>Save only the model's weights (as safetensors, loadable with <c>ModelWeights.Load</c>), not a resumable checkpoint (Lightning's <c>save_weights_only</c>).</summary>
    public bool SaveWeightsOnly { get; set; }

    /// <summary>Write <c>last.ckpt</c> when the fit is cancelled, so that it can be resumed (default true).</summary>
    public bool SaveOnCancel { get; set; } = true;

    /// <summary>Throws when a value is out of range, naming the field and the allowed values.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(DirPath)) throw new ArgumentException("DirPath must name the folder for checkpoints.", nameof(DirPath));
        if (SaveTopK < -1) throw new ArgumentOutOfRangeException(nameof(SaveTopK), SaveTopK, "SaveTopK must be -1 (all), 0 (none) or a positive count.");
        if (EveryNTrainSteps is < 1) throw new ArgumentOutOfRangeException(nameof(EveryNTrainSteps), EveryNTrainSteps, "EveryNTrainSteps must be a positive count (or null).");
        if (EveryNEpochs < 0) throw new ArgumentOutOfRangeException(nameof(EveryNEpochs), EveryNEpochs, "EveryNEpochs must be 0 (off) or a positive count.");
        if (SaveTopK > 1 && Monitor is null)
            throw new ArgumentException($"SaveTopK = {SaveTopK} needs a Monitor to rank checkpoints by; set Monitor (e.g. \"val_loss\") or use SaveTopK 1 (newest) or -1 (all).", nameof(SaveTopK));
        if (EveryNTrainSteps is not null && EveryNEpochs > 0 && Monitor is not null)
            throw new ArgumentException("EveryNTrainSteps and EveryNEpochs both trigger saves; with a Monitor choose one (set EveryNEpochs = 0 for step saves only).", nameof(EveryNTrainSteps));
        if (Filename is not null && (Filename.Length == 0 || Filename.IndexOfAny(['/', '\\']) >= 0))
            throw new ArgumentException($"Filename '{Filename}' must be a non-empty name template without folders; put folders in DirPath.", nameof(Filename));
        if (Filename is not null) CheckpointFilename.Validate(Filename);
        if (Monitor is not null && string.IsNullOrWhiteSpace(Monitor)) throw new ArgumentException("Monitor must name a logged metric (or be null).", nameof(Monitor));
    }
}
