using Unified.Adapters;
using Unified.Cli.Config;
using Unified.Cli.Launch;
using Unified.Core.Checkpointing;
using Unified.Core.Data;
using Unified.Core.Diagnostics;
using Unified.Core.Distributed;
using Unified.Core.Logging;
using Unified.Core.Models;
using Unified.Core.Runs;
using Unified.Core.Runtime;
using Unified.Core.State;

namespace Unified.Cli.Fit;

/// <summary>Runs <c>unified fit</c>: data, model, the chosen front-end, the final checkpoint and the report.</summary>
public static class FitRunner
{
    /// <summary>The hyper-parameters a resume must keep (they shape the step sequence), with the flag that sets each.</summary>
    static readonly IReadOnlyDictionary<string, string> ResumeKeys = new Dictionary<string, string>
    {
        ["framework"] = "--framework", ["model"] = "--model", ["batch_size"] = "--batch-size", ["devices"] = "--devices",
        ["accumulate_grad_batches"] = "--accumulate", ["precision"] = "--precision", ["seed"] = "--seed",
        ["fused"] = "--fused",
    };

    /// <summary>
    /// Trains as <paramref name="settings"/> say; progress goes to <paramref name="output"/>, warnings to
    /// <paramref name="error"/>. Under an MPI launch every rank runs this: each trains its shard, and only rank 0
    /// prints, writes the run folder and its loggers, and returns the report (the others return null). A full
    /// checkpoint is kept current in the run folder's <c>last.ckpt</c> (after every epoch, every
    /// <c>--ckpt-every-n-steps</c>, and on cancellation), written by rank 0 while the other ranks wait. Everything that
    /// can be refused (data, a resume's checkpoint and options, the run folder) is checked before any file is written.
    /// </summary>
    /// <exception cref="FitInterruptedException"><paramref name="signals"/> stopped the fit; its checkpoint resumes it.</exception>
    public static FitReport? Run(FitSettings settings, TextWriter output, TextWriter? error = null, StopSignals? signals = null)
    {
        var logs = new TextWriterLoggerFactory(error ?? TextWriter.Null);
        var launch = LaunchEnvironment.Current();
        TorchRuntime.Initialize(new RuntimeOptions { Threads = settings.Threads ?? (launch.IsMpiLaunch ? MpiLauncher.ThreadsPerRank(launch.LocalSize) : null) });
        using var data = new DigitsDataModule(new DigitsDataOptions
        {
            Path = settings.Data == "digits" ? null : settings.Data,
            BatchSize = settings.BatchSize,
            Seed = settings.Seed,
            TestFraction = settings.TestFraction,
            Layout = DigitsModels.LayoutOf(settings.Model),
            ClassCount = DigitsModels.ClassCount,
            ImageSize = DigitsModels.ImageSize,
        });
        if (settings.BatchSize > data.Train.SampleCount && launch.Rank == 0)
            error?.WriteLine($"warning: --batch-size {settings.BatchSize} is larger than the {data.Train.SampleCount} training samples: every epoch is a single step.");
        Seed.Everything(settings.Seed);
        using var module = new ClassificationModule(DigitsModels.Create(settings.Model), settings.LearningRate) { FusedKernel = settings.Fused };
        AddHyperparameters(module, settings, launch.IsMpiLaunch ? launch.WorldSize : 1);
        if (settings.Resume is { } resume) CheckResume(resume, module);
        FitLoggers.CheckMlflow(settings);

        // Disposed (a collective) only on success: after a failure, a rank must exit without waiting for the others.
        var group = ProcessGroups.FromEnvironment();
        bool zero = group.Rank == 0;
        if (!zero) output = TextWriter.Null;
        using var folder = zero ? ClaimRunFolder(settings) : null;
        string runDir = folder?.Path ?? "";
        // From here a first signal stops the fit at a step boundary with a resumable checkpoint.
        if (signals is not null) signals.Graceful = true;
        try
        {
            return Fit(settings, output, logs, data, module, group, runDir, signals?.Token ?? default);
        }
        finally
        {
            if (signals is not null) signals.Graceful = false;
        }
    }

    static FitReport? Fit(FitSettings settings, TextWriter output, TextWriterLoggerFactory logs, DigitsDataModule data, ClassificationModule module,
        IProcessGroup group, string runDir, CancellationToken cancellationToken)
    {
        bool zero = group.Rank == 0, resuming = settings.Resume is not null;
        using var mlflow = zero ? FitLoggers.CreateMlflow(settings, Path.GetFileName(runDir) is { Length: > 0 } name ? name : "unified-fit",
            resuming ? FitLoggers.SavedMlflowRun(runDir) : null, logs) : null;
        if (zero && !resuming) WriteConfig(runDir, settings);
        var loggers = zero ? FitLoggers.Create(settings, runDir, mlflow) : [];

        // Ranks print through mpirun, line by line; rank 0 counts every rank's samples (they run in lockstep).
        int world = group.WorldSize;
        using var progress = world == 1
            ? ProgressDisplay.Create(output, settings.Epochs, data.Train.Count, () => module.Logged.ProgressBarNames)
            : new PlainProgress(output, settings.Epochs);
        var memory = new List<EpochMemory>();
        double? firstStepSeconds = null;
        void OnStep(StepReport step)
        {
            // What 'unified bench' reports as start-up: process start to the end of the first optimiser step.
            firstStepSeconds ??= ProcessClock.SecondsSinceStart();
            progress.OnStep(world == 1 ? step : step with { BatchSize = step.BatchSize * world });
        }
        var options = new UnifiedTrainerOptions
        {
            MaxEpochs = settings.Epochs,
            Accelerator = settings.Accelerator,
            Precision = settings.Precision,
            AccumulateGradBatches = settings.Accumulate,
            GradientClipValue = settings.ClipGrad,
            SkipNonFiniteLoss = settings.SkipNonFiniteLoss,
            Devices = settings.Devices,
            OnStep = OnStep,
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
            MaxSteps = settings.MaxSteps,
            // Only rank 0 writes; the other ranks join every save at the same moment and need only a folder name.
            CheckpointDir = zero ? runDir : settings.RunDir ?? "runs",
            CheckpointEveryNSteps = settings.CkptEveryNSteps,
            ResumeFrom = settings.Resume,
        };
        foreach (var logger in loggers) options.Loggers.Add(logger);
        var trainer = new UnifiedTrainer(settings.Framework, options);
        FitResult result;
        try
        {
            result = progress.Run(() => trainer.Fit(module, data, cancellationToken));
        }
        catch (OperationCanceledException e) when (cancellationToken.IsCancellationRequested)
        {
            throw new FitInterruptedException(Path.Combine(zero ? runDir : Path.GetFullPath(settings.RunDir ?? "RUN_DIR"), "last.ckpt"), e);
        }
        finally
        {
            foreach (var logger in loggers) logger.Dispose(); // the trainer finished them; this closes what a failure left open
            if (mlflow is not null) FitLoggers.SaveMlflowRun(runDir, mlflow);
        }

        // A resume of a finished run has no new epoch to report; its metrics were those of the saved run.
        var metrics = result.FinalMetrics;
        string checkpoint = Path.Combine(runDir, "last.ckpt");
        group.Barrier();
        group.Dispose();
        if (!zero) return null;
        return new FitReport(
            settings.Framework, settings.Model, settings.Precision, result.WorldSize, settings.Epochs, result.Steps,
            metrics.GetValueOrDefault("train_loss", double.NaN), metrics.GetValueOrDefault("val_loss", double.NaN),
            metrics.GetValueOrDefault("val_accuracy", double.NaN), Math.Round(result.Seconds, 3), Math.Round(result.SamplesPerSecond, 1),
            WeightsHash.Sha256(module.Network), checkpoint, runDir, Math.Round(ProcessMemory.PeakRssMb(), 1), memory,
            settings.Seed, settings.BatchSize, settings.LearningRate, firstStepSeconds is double first ? Math.Round(first, 3) : null);
    }

    /// <summary>
    /// Claims the run folder: --run-dir (a new, empty one; or the resumed checkpoint's own folder), else the resumed
    /// checkpoint's folder, else the next runs/version_N. Refuses a folder that holds another run or is in use.
    /// </summary>
    static RunFolder ClaimRunFolder(FitSettings settings)
    {
        string? resumeDir = settings.Resume is { } resume ? Path.GetDirectoryName(Path.GetFullPath(resume)) : null;
        string? requested = settings.RunDir is { } dir ? Path.GetFullPath(dir) : null;
        try
        {
            if (requested is null) return resumeDir is null ? RunFolder.ClaimNextVersion("runs") : RunFolder.ClaimExisting(resumeDir);
            return requested == resumeDir ? RunFolder.ClaimExisting(requested) : RunFolder.ClaimNew(requested);
        }
        catch (RunFolderNotEmptyException e)
        {
            string last = Path.Combine(settings.RunDir!, "last.ckpt");
            string resumeHint = File.Exists(last) ? $"continue it with --resume {last}, or " : "";
            throw new UsageException($"--run-dir '{settings.RunDir}' already holds a run ({RunFolderNotEmptyException.Describe(e.Entries)}); " +
                $"{resumeHint}start fresh with another --run-dir (or none, for the next runs/version_N).");
        }
        catch (RunFolderInUseException e)
        {
            throw new UsageException($"run folder '{e.FolderPath}' is in use by another running unified process; wait for it to end, or choose another --run-dir.");
        }
    }

    // Before any file is touched: the checkpoint must load, hold this model, and have been trained with the options that shape the steps.
    static void CheckResume(string path, ClassificationModule module)
    {
        var expected = ResumeKeys.Keys.Where(module.Hyperparameters.ContainsKey).ToDictionary(k => k, k => module.Hyperparameters[k]);
        try
        {
            ResumeCheck.Verify(path, module.Network, expected);
        }
        catch (ResumeMismatchException e)
        {
            throw new UsageException($"--resume '{path}' was saved with " +
                string.Join(", ", e.Mismatches.Select(m => $"{ResumeKeys[m.Name]} {Plain(m.Saved)} (requested {Plain(m.Requested)})")) +
                "; resume with the saved values, or start a new run without --resume.");
        }
        catch (StateMismatchException e)
        {
            throw new UsageException($"--resume '{path}' holds another model than --model {module.Hyperparameters["model"]} ({e.Problems[0]}); " +
                "resume with the --model it was trained with.");
        }
        catch (FileNotFoundException e)
        {
            throw new UsageException($"--resume: {e.Message}");
        }
    }

    static string Plain(string json) => json.Trim('"');

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
        module.Hyperparameters["fused"] = settings.Fused;
        // Only when asked for, so that the hyper-parameters of runs without a test split stay as they were.
        if (settings.TestFraction > 0) module.Hyperparameters["test_fraction"] = settings.TestFraction;
    }

    /// <summary>The resolved configuration a new run saves in its folder; <c>unified fit --config DIR/config.yaml</c> repeats the run.</summary>
    public const string ConfigFile = "config.yaml";

    static void WriteConfig(string runDir, FitSettings settings) =>
        AtomicFile.Write(Path.Combine(runDir, ConfigFile), stream =>
        {
            using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false), leaveOpen: true);
            writer.Write(FitConfigWriter.ToYaml(settings, forRunFolder: true));
        });
}
