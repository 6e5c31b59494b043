using System.Diagnostics;
using Unified.Core.Checkpointing;
using Unified.Core.Data;
using Unified.Core.Distributed;
using Unified.Core.Logging;
using Unified.Core.Training;
using Unified.Ignite;
using Unified.Lightning;

namespace Unified.Adapters;

/// <summary>
/// Trains one <see cref="ITrainingModule"/> through either front-end with the same options; both take every step
/// through Core's kernel, so the same seed ends with the same weights.
/// </summary>
/// <example><code>
/// var result = new UnifiedTrainer("ignite", new UnifiedTrainerOptions { MaxEpochs = 3 }).Fit(module, data);
/// Console.WriteLine(result.FinalMetrics["val_accuracy"]);
/// </code></example>
public sealed class UnifiedTrainer
{
    readonly UnifiedTrainerOptions options;

    /// <summary>Picks the front-end by name: <c>lightning</c> or <c>ignite</c>.</summary>
    /// <exception cref="ArgumentException">The name is not one of <see cref="Frameworks.Names"/>.</exception>
    public UnifiedTrainer(string framework, UnifiedTrainerOptions? options = null)
    {
        string name = framework?.Trim().ToLowerInvariant() ?? "";
        if (!Frameworks.Names.Contains(name))
            throw new ArgumentException($"Unknown framework '{framework}'. Valid names: {string.Join(", ", Frameworks.Names)}.", nameof(framework));
        Framework = name;
        this.options = options ?? new UnifiedTrainerOptions();
        this.options.Check();
    }

    /// <summary>The front-end this trainer runs.</summary>
    public string Framework { get; }

    /// <summary>Trains <paramref name="module"/> on <paramref name="data"/> for <see cref="UnifiedTrainerOptions.MaxEpochs"/> epochs.</summary>
    public FitResult Fit(ITrainingModule module, IDataModule data, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var (history, steps, group) = Framework == Frameworks.Lightning
            ? FitLightning(module, data, cancellationToken)
            : FitIgnite(module, data, cancellationToken);
        // Samples of the unsharded split: under data parallelism every rank's share counts once (padding aside).
        return new FitResult(Framework, history, steps, (long)data.Train.SampleCount * history.Count, clock.Elapsed.TotalSeconds,
            group.WorldSize, group.Rank == 0);
    }

    (IReadOnlyList<EpochResult>, long, (int WorldSize, int Rank)) FitLightning(ITrainingModule module, IDataModule data, CancellationToken cancellationToken)
    {
        var trainerOptions = new TrainerOptions
        {
            MaxEpochs = options.MaxEpochs,
            Seed = options.Seed,
            Accelerator = options.Accelerator,
            Precision = options.Precision,
            Strategy = options.Strategy,
            Devices = options.Devices,
            NumNodes = options.NumNodes,
            Ddp = options.Ddp,
            AccumulateGradBatches = options.AccumulateGradBatches,
            GradientClipVal = options.GradientClipValue,
            GradientClipAlgorithm = options.GradientClipAlgorithm,
            SkipNonFiniteLoss = options.SkipNonFiniteLoss,
            LimitValBatches = options.Validate ? null : 0,
            MaxSteps = options.MaxSteps,
            LogEveryNSteps = options.LogEveryNSteps,
            Histograms = options.Histograms,
            LoggerFactory = options.LoggerFactory,
            // The adapter's caller shows progress (the CLI's display through OnStep/OnEpoch).
            EnableProgressBar = false,
            EnableModelSummary = false,
        };
        foreach (var logger in options.Loggers) trainerOptions.Loggers.Add(logger);
        if (options.OnStep is not null || options.OnEpoch is not null) trainerOptions.Callbacks.Add(new ReportingCallback(options));
        // After the reporting callback, so that an epoch is reported before its checkpoint is written.
        if (options.CheckpointDir is { } dir)
            trainerOptions.Callbacks.Add(new ModelCheckpoint(new ModelCheckpointOptions
            {
                DirPath = dir, SaveTopK = 0, SaveLast = true, EveryNTrainSteps = options.CheckpointEveryNSteps,
            }));
        var trainer = new Trainer(trainerOptions);
        trainer.Fit(module, data, options.ResumeFrom, cancellationToken);
        return (trainer.History, trainer.GlobalStep, (trainer.WorldSize, trainer.IsGlobalZero ? 0 : 1));
    }

    (IReadOnlyList<EpochResult>, long, (int WorldSize, int Rank)) FitIgnite(ITrainingModule module, IDataModule data, CancellationToken cancellationToken)
    {
        using var strategy = DdpStrategy.Resolve(options.Strategy, options.Devices, options.NumNodes, options.Ddp);
        var group = strategy?.Group;
        if (group is not null) data = new ShardedDataModule(data, group);
        if (options.Seed is long seed) Core.Runtime.Seed.Everything(seed);
        var trainerOptions = new SupervisedTrainerOptions
        {
            Accelerator = options.Accelerator,
            Precision = options.Precision,
            ProcessGroup = group,
            Ddp = options.Ddp,
            GradientAccumulationSteps = options.AccumulateGradBatches,
            ClipGradient = options.GradientClipValue,
            ClipAlgorithm = options.GradientClipAlgorithm,
            SkipNonFiniteLoss = options.SkipNonFiniteLoss,
            LogEveryNSteps = options.LogEveryNSteps,
            Histograms = options.Histograms,
            LoggerFactory = options.LoggerFactory,
        };
        foreach (var logger in options.Loggers) trainerOptions.Loggers.Add(logger);
        var trainer = Supervised.CreateTrainer(module, trainerOptions);
        var toSave = Supervised.ToSave(trainer);
        var kernel = (StepKernel)toSave.Parts["kernel"];
        var history = new List<EpochResult>();
        int perEpoch = data.Train.Count;
        if (options.OnStep is { } onStep)
            trainer.On(Events.IterationCompleted, e => onStep(new StepReport(
                e.State.Epoch - 1, e.State.EpochIteration - 1, perEpoch, (TorchSharp.torch.Tensor)e.State.Output!, e.State.Batch!.Size)));
        void EpochEnd(Engine e)
        {
            var metrics = e.State.ScalarMetrics();
            if (options.Validate && data.Validation is { } validation)
            {
                var evaluator = Supervised.CreateEvaluator(module, options.Accelerator, group);
                // Into the trainer's state too, where its loggers read the epoch's metrics. Under ddp every rank
                // evaluates its shard to the end: a rank stopping alone would leave the others in the reduction.
                foreach (var (name, value) in evaluator.Run(validation, cancellationToken: group is null ? cancellationToken : default).ScalarMetrics())
                    e.State.Metrics[name] = metrics[name] = value;
            }
            var result = new EpochResult(e.State.Epoch - 1, kernel.GlobalStep, metrics);
            history.Add(result);
            options.OnEpoch?.Invoke(result);
        }
        trainer.On(Events.EpochCompleted, EpochEnd);
        if (options.MaxSteps is long maxSteps)
        {
            // Ignite's idiom for max_steps: terminate once they are reached. Ignite 0.5's Terminate skips the epoch's
            // EpochCompleted, so the loop position stays inside the epoch (a resume continues there) and the
            // epoch-interval scheduler is not stepped; the epoch's visible end (validation, report, last.ckpt) runs
            // at Terminate instead, as the Lightning path does. On an epoch's last batch the whole epoch end runs first.
            trainer.On(Events.IterationCompleted.Filter((e, _) => kernel.GlobalStep >= maxSteps && e.State.EpochIteration < e.State.EpochLength), e => e.Terminate());
            trainer.On(Events.EpochCompleted, e => { if (kernel.GlobalStep >= maxSteps) e.Terminate(); });
            trainer.On(Events.Terminate, e => { if (MidEpoch(e)) EpochEnd(e); });
        }
        if (options.CheckpointDir is { } dir) AttachCheckpoints(trainer, toSave, kernel, dir, group?.Rank ?? 0);
        if (options.ResumeFrom is { } path) Checkpoint.LoadObjects(toSave.Parts, path);
        // A resumed run whose last epoch already ran has nothing left to do: skip Run, which would start over.
        if (!(options.ResumeFrom is not null && (trainer.State.Epoch >= options.MaxEpochs && trainer.State.EpochIteration == 0
            || options.MaxSteps is long m && kernel.GlobalStep >= m)))
        {
            if (group is null) trainer.Run(data.Train, options.MaxEpochs, cancellationToken);
            else
            {
                using var stop = trainer.StopTogether(group, cancellationToken);
                trainer.Run(data.Train, options.MaxEpochs);
            }
        }
        return (history, kernel.GlobalStep, (group?.WorldSize ?? 1, group?.Rank ?? 0));
    }

    void AttachCheckpoints(Engine trainer, Core.Checkpointing.TrainingState toSave, StepKernel kernel, string dir, int rank)
    {
        // The same rolling last.ckpt as the Lightning path's ModelCheckpoint(SaveLast): written atomically in place,
        // by rank 0 only (TrainingState.Save); every rank triggers the save at the same moment and waits for it.
        string last = Path.Combine(Path.GetFullPath(dir), ModelCheckpoint.LastName);
        if (rank == 0) AtomicFile.RemoveStaleTemporaries(Path.GetFullPath(dir));
        if (options.CheckpointEveryNSteps is int n)
        {
            long savedAt = -1;
            trainer.On(Events.IterationCompleted.Filter((_, _) => kernel.AtStepBoundary && kernel.GlobalStep % n == 0 && kernel.GlobalStep != savedAt), _ =>
            {
                savedAt = kernel.GlobalStep;
                toSave.Save(last);
            });
        }
        trainer.On(Events.EpochCompleted | Events.Interrupt, _ => toSave.Save(last));
        trainer.On(Events.Terminate, e => { if (MidEpoch(e)) toSave.Save(last); });
    }

    // Terminated before the epoch's last batch: its EpochCompleted did not run.
    static bool MidEpoch(Engine e) => e.State.EpochIteration < e.State.EpochLength;

    sealed class ReportingCallback(UnifiedTrainerOptions options) : Callback
    {
        public override void OnTrainBatchEnd(TrainerView trainer, ITrainingModule module, TorchSharp.torch.Tensor loss, Batch batch, int batchIndex) =>
            options.OnStep?.Invoke(new StepReport(trainer.CurrentEpoch, batchIndex, trainer.Progress.BatchesPerEpoch, loss, batch.Size));

        public override void OnTrainEpochEnd(TrainerView trainer, ITrainingModule module) =>
            options.OnEpoch?.Invoke(new EpochResult(trainer.CurrentEpoch, trainer.GlobalStep, trainer.CallbackMetrics));
    }
}
