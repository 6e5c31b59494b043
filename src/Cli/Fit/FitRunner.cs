using System.Globalization;
using System.Text.Json;
using Unified.Adapters;
using Unified.Cli.Launch;
using Unified.Core.Checkpointing;
using Unified.Core.Data;
using Unified.Core.Diagnostics;
using Unified.Core.Distributed;
using Unified.Core.Models;
using Unified.Core.Runtime;

namespace Unified.Cli.Fit;

/// <summary>Runs <c>unified fit</c>: data, model, the chosen front-end, the final checkpoint and the report.</summary>
public static class FitRunner
{
    /// <summary>
    /// Trains as <paramref name="settings"/> say; progress goes to <paramref name="output"/>, warnings to
    /// <paramref name="error"/>. Under an MPI launch every rank runs this: each trains its shard, and only rank 0
    /// prints, writes the run folder and its loggers, and returns the report (the others return null).
    /// </summary>
    public static FitReport? Run(FitSettings settings, TextWriter output, TextWriter? error = null, CancellationToken cancellationToken = default)
    {
        var logs = new TextWriterLoggerFactory(error ?? TextWriter.Null);
        var launch = LaunchEnvironment.Current();
        TorchRuntime.Initialize(new RuntimeOptions { Threads = settings.Threads ?? (launch.IsMpiLaunch ? MpiLauncher.ThreadsPerRank(launch.LocalSize) : null) });
        // Disposed (a collective) only on success: after a failure, a rank must exit without waiting for the others.
        var group = ProcessGroups.FromEnvironment();
        bool zero = group.Rank == 0;
        if (!zero) output = TextWriter.Null;
        using var data = new DigitsDataModule(new DigitsDataOptions
        {
            Path = settings.Data == "digits" ? null : settings.Data,
            BatchSize = settings.BatchSize,
            Seed = settings.Seed,
            Layout = DigitsModels.LayoutOf(settings.Model),
        });
        Seed.Everything(settings.Seed);
        using var module = new ClassificationModule(DigitsModels.Create(settings.Model), settings.LearningRate);
        AddHyperparameters(module, settings, group.WorldSize);
        string? requested = settings.RunDir;
        using var mlflow = zero
            ? FitLoggers.CreateMlflow(settings, Path.GetFileName(Path.TrimEndingDirectorySeparator(requested ?? "")) is { Length: > 0 } name ? name : "unified-fit", logs)
            : null;
        string runDir = zero ? RunDirectory.Create(requested) : "";
        if (zero) WriteConfig(runDir, settings);
        var loggers = zero ? FitLoggers.Create(settings, runDir, mlflow) : [];

        // Ranks print through mpirun, line by line; rank 0 counts every rank's samples (they run in lockstep).
        int world = group.WorldSize;
        IFitProgress progress = world == 1 && output == Console.Out && LiveProgress.IsSupported
            ? new LiveProgress(settings.Epochs, data.Train.Count, () => module.Logged.ProgressBarNames)
            : new PlainProgress(output, settings.Epochs);
        var memory = new List<EpochMemory>();
        var options = new UnifiedTrainerOptions
        {
            MaxEpochs = settings.Epochs,
            Accelerator = settings.Accelerator,
            Precision = settings.Precision,
            AccumulateGradBatches = settings.Accumulate,
            GradientClipValue = settings.ClipGrad,
            Devices = settings.Devices,
            OnStep = world == 1 ? progress.OnStep : step => progress.OnStep(step with { BatchSize = step.BatchSize * world }),
            OnEpoch = epoch =>
            {
                // Each step leaves a few KB of tensor wrappers; without a collection per epoch RSS climbs with the GC's
                // gen0 budget (~50 MB here, ~20 epochs) before levelling off. A collection per epoch costs milliseconds.
                GC.Collect();
                GC.WaitForPendingFinalizers();
                memory.Add(EpochMemory.Now(epoch.Epoch + 1));
                progress.OnEpoch(epoch);
            },
            LoggerFactory = logs,
        };
        foreach (var logger in loggers) options.Loggers.Add(logger);
        var trainer = new UnifiedTrainer(settings.Framework, options);
        FitResult result;
        try
        {
            result = progress.Run(() => trainer.Fit(module, data, cancellationToken));
        }
        finally
        {
            foreach (var logger in loggers) logger.Dispose(); // the trainer finished them; this closes what a failure left open
        }

        var metrics = result.FinalMetrics;
        var final = result.History[^1];
        string checkpoint = Path.Combine(runDir, "last.ckpt");
        // Every rank holds the same weights: rank 0 writes them, the others wait until the file is complete.
        if (zero)
            SafetensorsWriter.Write(checkpoint, module.Network.state_dict(), new Dictionary<string, string>
            {
                ["format"] = "unified-weights",
                ["framework"] = settings.Framework,
                ["model"] = settings.Model,
                ["epoch"] = final.Epoch.ToString(CultureInfo.InvariantCulture),
                ["global_step"] = final.GlobalStep.ToString(CultureInfo.InvariantCulture),
            });
        group.Barrier();
        group.Dispose();
        if (!zero) return null;
        return new FitReport(
            settings.Framework, settings.Model, settings.Precision, result.WorldSize, settings.Epochs, result.Steps,
            metrics.GetValueOrDefault("train_loss", double.NaN), metrics.GetValueOrDefault("val_loss", double.NaN),
            metrics.GetValueOrDefault("val_accuracy", double.NaN), Math.Round(result.Seconds, 3), Math.Round(result.SamplesPerSecond, 1),
            WeightsHash.Sha256(module.Network), checkpoint, runDir, Math.Round(ProcessMemory.PeakRssMb(), 1), memory,
            settings.Seed, settings.BatchSize, settings.LearningRate);
    }

    // What the experiment loggers record as the run's hyper-parameters (hparams.yaml, TensorBoard's HParams, MLflow params).
    static void AddHyperparameters(ClassificationModule module, FitSettings settings, int devices)
    {
        module.Hyperparameters["framework"] = settings.Framework;
        module.Hyperparameters["model"] = settings.Model;
        module.Hyperparameters["data"] = settings.Data;
        module.Hyperparameters["epochs"] = settings.Epochs;
        module.Hyperparameters["batch_size"] = settings.BatchSize;
        module.Hyperparameters["seed"] = settings.Seed;
        module.Hyperparameters["precision"] = settings.Precision;
        module.Hyperparameters["accumulate_grad_batches"] = settings.Accumulate;
        module.Hyperparameters["gradient_clip_val"] = settings.ClipGrad;
        module.Hyperparameters["devices"] = devices;
    }

    static void WriteConfig(string runDir, FitSettings settings) =>
        AtomicFile.Write(Path.Combine(runDir, "config.json"), stream =>
            JsonSerializer.Serialize(stream, settings, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
}
