using System.Globalization;
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
    /// <summary>Trains as <paramref name="settings"/> say; progress goes to <paramref name="output"/>.</summary>
    public static FitReport Run(FitSettings settings, TextWriter output)
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
        string runDir = RunDirectory.Create(settings.RunDir);
        WriteConfig(runDir, settings);

        IFitProgress progress = output == Console.Out && LiveProgress.IsSupported
            ? new LiveProgress(settings.Epochs, data.Train.Count)
            : new PlainProgress(output, settings.Epochs);
        var trainer = new UnifiedTrainer(settings.Framework, new UnifiedTrainerOptions
        {
            MaxEpochs = settings.Epochs,
            Accelerator = settings.Accelerator,
            Precision = settings.Precision,
            AccumulateGradBatches = settings.Accumulate,
            GradientClipValue = settings.ClipGrad,
            OnStep = progress.OnStep,
            OnEpoch = progress.OnEpoch,
        });
        var result = progress.Run(() => trainer.Fit(module, data));

        var metrics = result.FinalMetrics;
        var final = result.History[^1];
        string checkpoint = Path.Combine(runDir, "last.ckpt");
        SafetensorsWriter.Write(checkpoint, module.Network.state_dict(), new Dictionary<string, string>
        {
            ["format"] = "unified-weights",
            ["framework"] = settings.Framework,
            ["model"] = settings.Model,
            ["epoch"] = final.Epoch.ToString(CultureInfo.InvariantCulture),
            ["global_step"] = final.GlobalStep.ToString(CultureInfo.InvariantCulture),
        });
        return new FitReport(
            settings.Framework, settings.Model, settings.Precision, 1, settings.Epochs, result.Steps,
            metrics.GetValueOrDefault("train_loss", double.NaN), metrics.GetValueOrDefault("val_loss", double.NaN),
            metrics.GetValueOrDefault("val_accuracy", double.NaN), Math.Round(result.Seconds, 3), Math.Round(result.SamplesPerSecond, 1),
            WeightsHash.Sha256(module.Network), checkpoint, runDir, Math.Round(ProcessMemory.PeakRssMb(), 1),
            settings.Seed, settings.BatchSize, settings.LearningRate);
    }

    static void WriteConfig(string runDir, FitSettings settings) =>
        AtomicFile.Write(Path.Combine(runDir, "config.json"), stream =>
            JsonSerializer.Serialize(stream, settings, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
}
