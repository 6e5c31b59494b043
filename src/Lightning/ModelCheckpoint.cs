using System.Globalization;
using Unified.Core.Checkpointing;
using Unified.Core.Data;
using Unified.Core.State;
using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Lightning;

/// <summary>
/// Saves resumable checkpoints during a fit, as Lightning's <c>ModelCheckpoint</c>: every
/// <see cref="ModelCheckpointOptions.EveryNTrainSteps"/> optimiser steps and/or every
/// <see cref="ModelCheckpointOptions.EveryNEpochs"/> epochs; keeps the best <see cref="ModelCheckpointOptions.SaveTopK"/>
/// by <see cref="ModelCheckpointOptions.Monitor"/> (or the newest without a monitor); with
/// <see cref="ModelCheckpointOptions.SaveLast"/> also keeps <c>last.ckpt</c> current; and saves <c>last.ckpt</c> when
/// the fit is cancelled (SIGTERM, Ctrl+C), so that it can be resumed. Files are written atomically and old ones are
/// deleted only after the new one is on disk.
/// </summary>
/// <example><code>
/// options.Callbacks.Add(new ModelCheckpoint(new() { DirPath = "runs/ckpt", Monitor = "val_loss", Mode = Mode.Min, SaveTopK = 3, SaveLast = true }));
/// </code></example>
public sealed class ModelCheckpoint : Callback, IStateful
{
    /// <summary>The name of the always-current checkpoint.</summary>
    public const string LastName = "last.ckpt";

    readonly ModelCheckpointOptions options;
    readonly CheckpointRetention retention;
    long lastSavedStep = -1;

    /// <summary>Creates the callback; options are validated here.</summary>
    public ModelCheckpoint(ModelCheckpointOptions options)
    {
        this.options = options ?? throw new ArgumentNullException(nameof(options));
        options.Validate();
        retention = new CheckpointRetention(options.DirPath, options.SaveTopK, options.Monitor is null ? null : options.Mode);
    }

    /// <summary>The best kept checkpoint (by the monitor, or the newest), or null.</summary>
    public string? BestModelPath => retention.Best?.Path;

    /// <summary>The monitored value of <see cref="BestModelPath"/>.</summary>
    public double? BestModelScore => retention.Best?.Score;

    /// <summary>The last checkpoint this callback wrote (top-k file or <c>last.ckpt</c>).</summary>
    public string? LastModelPath { get; private set; }

    /// <summary>The kept top-k files, best first.</summary>
    public IReadOnlyList<RetainedCheckpoint> Kept => retention.Kept;

    /// <inheritdoc />
    public override string StateKey => options.Monitor is null ? nameof(ModelCheckpoint) : $"{nameof(ModelCheckpoint)}_{options.Monitor}_{options.Mode}";

    /// <inheritdoc />
    internal override bool Monitors => true;

    /// <inheritdoc />
    public override void OnFitStart(TrainerView trainer, ITrainingModule module)
    {
        var progress = trainer.Progress;
        // Only the rank that writes cleans up: another node's temporary would look stale from here.
        if (progress.IsGlobalZero) AtomicFile.RemoveStaleTemporaries(retention.Directory);
    }

    /// <inheritdoc />
    public override void OnTrainBatchEnd(TrainerView trainer, ITrainingModule module, Tensor loss, Batch batch, int batchIndex)
    {
        var progress = trainer.Progress;
        if (options.EveryNTrainSteps is not int n || progress.GlobalStep == 0 || progress.GlobalStep % n != 0 || progress.GlobalStep == lastSavedStep) return;
        // Step-triggered saves have no fresh epoch metrics: with a monitor they only refresh last.ckpt.
        Save(trainer, scores: null);
    }

    /// <inheritdoc />
    public override void OnTrainEpochEnd(TrainerView trainer, ITrainingModule module)
    {
        var progress = trainer.Progress;
        if (options.EveryNEpochs == 0 || (progress.Epoch + 1) % options.EveryNEpochs != 0) return;
        Save(trainer, trainer.CallbackMetrics);
    }

    /// <inheritdoc />
    public override void OnException(TrainerView trainer, ITrainingModule module, Exception exception)
    {
        if (exception is OperationCanceledException && options.SaveOnCancel && trainer.Checkpoint is { } writer)
            LastModelPath = WriteLast(writer);
    }

    void Save(TrainerView trainer, IReadOnlyDictionary<string, double>? scores)
    {
        var progress = trainer.Progress;
        if (trainer.FastDevRun) return; // Lightning's _should_skip_saving_checkpoint
        var writer = progress.Checkpoint ?? throw new InvalidOperationException("ModelCheckpoint runs only inside Trainer.Fit, which provides the checkpoint writer.");
        lastSavedStep = progress.GlobalStep;
        double? score = null;
        if (options.Monitor is { } monitor && scores is not null)
            score = scores.TryGetValue(monitor, out double value) ? value
                : throw new InvalidOperationException($"ModelCheckpoint(Monitor = \"{monitor}\") could not find the monitored key in the logged metrics. " +
                    $"Logged: {(scores.Count == 0 ? "(nothing)" : string.Join(", ", scores.Keys))}. Log it (e.g. Log(\"{monitor}\", ...)) or fix the name.");
        // Lightning's check_monitor_top_k compares strictly: a score that only ties the worst kept one keeps the older file.
        bool tiesWorst = score is double tie && retention.Keep > 0 && retention.Kept.Count >= retention.Keep && tie == retention.Kept[^1].Score;
        if ((options.Monitor is null || score is not null) && !tiesWorst)
        {
            if (retention.Save(FileName(progress, scores, score), score, Writer(trainer, writer), writer.WriteQueue) is { } path) LastModelPath = path;
        }
        if (options.SaveLast) LastModelPath = WriteLast(writer);
    }

    string FileName(TrainerProgress progress, IReadOnlyDictionary<string, double>? scores, double? score)
    {
        if (options.Filename is { } template)
        {
            var values = new Dictionary<string, double>(scores ?? new Dictionary<string, double>(), StringComparer.Ordinal)
            {
                ["epoch"] = progress.Epoch,
                ["step"] = progress.GlobalStep,
            };
            return CheckpointFilename.Format(template, values) + ".ckpt";
        }
        string name = string.Create(CultureInfo.InvariantCulture, $"epoch={progress.Epoch}-step={progress.GlobalStep}");
        if (score is double s) name += string.Create(CultureInfo.InvariantCulture, $"-{options.Monitor}={s:F4}");
        return name + ".ckpt";
    }

    Action<string> Writer(TrainerView trainer, ICheckpointWriter writer) =>
        options.SaveWeightsOnly
            ? trainer.WeightsWriter ?? throw new InvalidOperationException("SaveWeightsOnly needs Trainer.Fit, which provides the weights writer.")
            : writer.Save;

    string WriteLast(ICheckpointWriter writer)
    {
        string path = Path.Combine(retention.Directory, LastName);
        writer.Save(path);
        return path;
    }

    /// <inheritdoc />
    public StateDict StateDict()
    {
        var state = new StateDict().Add("retention", retention.StateDict());
        state.Values["last_saved_step"] = lastSavedStep;
        return state;
    }

    /// <inheritdoc />
    public void LoadStateDict(StateDict state)
    {
        retention.LoadStateDict(state.Part("retention"));
        lastSavedStep = state.Value<long>("last_saved_step");
    }
}
