using System.Text.Json;
using Unified.Adapters;
using Unified.Core.Checkpointing;
using Unified.Core.Data;
using Unified.Core.Diagnostics;
using Unified.Core.Models;
using Unified.Core.Runtime;

namespace Unified.Cli.Fit;

/// <summary>Runs <c>unified fit</c>: data, model, the chosen front-end, the final checkpoint and the report.</summary>
public static class FitRunner
{
    /// <summary>
    /// Trains as <paramref name="settings"/> say; progress goes to <paramref name="output"/>. A full checkpoint is kept
    /// current in the run folder's <c>last.ckpt</c> (after every epoch, every <c>--ckpt-every-n-steps</c>, and on cancellation).
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; last.ckpt resumes the fit.</exception>
    public static FitReport Run(FitSettings settings, TextWriter output, CancellationToken cancellationToken = default)
    {
        TorchRuntime.Initialize(new RuntimeOptions { Threads = settings.Threads });
        using var data = new DigitsDataModule(new DigitsDataOptions
        {
            Path = settings.Data == "digits" ? null : settings.Data,
            BatchSize = settings.BatchSize,
            Seed = settings.Seed,
            Layout = DigitsModels.LayoutOf(settings.Model),
        });
        Seed.Everything(settings.Seed);
        using var module = new ClassificationModule(DigitsModels.Create(settings.Model), settings.LearningRate);
        string runDir = ResolveRunDir(settings);
        WriteConfig(runDir, settings);

        IFitProgress progress = output == Console.Out && LiveProgress.IsSupported
            ? new LiveProgress(settings.Epochs, data.Train.Count)
            : new PlainProgress(output, settings.Epochs);
        var trainer = new UnifiedTrainer(settings.Framework, new UnifiedTrainerOptions
        {
            MaxEpochs = settings.Epochs,
            Accelerator = settings.Accelerator,
            AccumulateGradBatches = settings.Accumulate,
            GradientClipValue = settings.ClipGrad,
            OnStep = progress.OnStep,
            OnEpoch = progress.OnEpoch,
            MaxSteps = settings.MaxSteps,
            CheckpointDir = runDir,
            CheckpointEveryNSteps = settings.CkptEveryNSteps,
            ResumeFrom = settings.Resume,
        });
        var result = progress.Run(() => trainer.Fit(module, data, cancellationToken));

        // A resume of a finished run has no new epoch to report; its metrics were those of the saved run.
        var metrics = result.FinalMetrics;
        string checkpoint = Path.Combine(runDir, "last.ckpt");
        return new FitReport(
            settings.Framework, settings.Model, "32-true", 1, settings.Epochs, result.Steps,
            metrics.GetValueOrDefault("train_loss", double.NaN), metrics.GetValueOrDefault("val_loss", double.NaN),
            metrics.GetValueOrDefault("val_accuracy", double.NaN), Math.Round(result.Seconds, 3), Math.Round(result.SamplesPerSecond, 1),
            WeightsHash.Sha256(module.Network), checkpoint, runDir, Math.Round(ProcessMemory.PeakRssMb(), 1),
            settings.Seed, settings.BatchSize, settings.LearningRate);
    }

    /// <summary>Creates and returns the run folder: --run-dir, else the resumed checkpoint's folder, else the next runs/version_N.</summary>
    public static string ResolveRunDir(FitSettings settings) =>
        RunDirectory.Create(settings.RunDir ?? (settings.Resume is { } resume ? Path.GetDirectoryName(Path.GetFullPath(resume)) : null));

    static void WriteConfig(string runDir, FitSettings settings) =>
        AtomicFile.Write(Path.Combine(runDir, "config.json"), stream =>
            JsonSerializer.Serialize(stream, settings, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
}
