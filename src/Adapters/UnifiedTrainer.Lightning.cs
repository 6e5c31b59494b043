using Unified.Core.Data;
using Unified.Core.Logging;
using Unified.Core.Training;
using Unified.Lightning;

namespace Unified.Adapters;

// The Lightning mapping: options become TrainerOptions, the policies become Lightning's own callbacks.
public sealed partial class UnifiedTrainer
{
    (IReadOnlyList<EpochResult>, long, (int WorldSize, int Rank)) FitLightning(ITrainingModule module, IDataModule data, CancellationToken cancellationToken)
    {
        var checkpoints = new List<ModelCheckpoint>();
        var trainer = LightningTrainer(checkpoints);
        trainer.Fit(module, data, options.ResumeFrom, cancellationToken);
        BestCheckpoint = checkpoints.Select(c => c.BestModelPath).LastOrDefault(p => p is not null && Path.GetFileName(p) != ModelCheckpoint.LastName);
        return (trainer.History, trainer.GlobalStep, (trainer.WorldSize, trainer.IsGlobalZero ? 0 : 1));
    }

    // The one mapping of the shared options onto Lightning's (UnifiedTrainerOptionsMappingTests checks that none is left out).
    internal static TrainerOptions LightningOptions(UnifiedTrainerOptions options)
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
            EnableCheckpointing = false, // checkpoints come from options.Checkpoints
            NumSanityValSteps = options.NumSanityValSteps,
            CheckValEveryNEpoch = options.CheckValEveryNEpoch,
            MaxSteps = options.MaxSteps,
            LogEveryNSteps = options.LogEveryNSteps,
            Histograms = options.Histograms,
            LoggerFactory = options.LoggerFactory,
            // The adapter's caller shows progress (the CLI's display through OnStep/OnEpoch).
            EnableProgressBar = false,
            EnableModelSummary = false,
        };
        foreach (var logger in options.Loggers) trainerOptions.Loggers.Add(logger);
        return trainerOptions;
    }

    Trainer LightningTrainer(List<ModelCheckpoint>? checkpoints = null)
    {
        var trainerOptions = LightningOptions(options);
        var callbacks = trainerOptions.Callbacks;
        if (options.OnStep is not null || options.OnEpoch is not null) callbacks.Add(new ReportingCallback(options));
        if (options.EarlyStopping is { } stopping)
            callbacks.Add(new Lightning.EarlyStopping(new EarlyStoppingOptions { Monitor = stopping.Monitor, Mode = stopping.Mode, Patience = stopping.Patience, MinDelta = stopping.MinDelta }));
        if (options.MaxTime is { } maxTime) callbacks.Add(new Lightning.Timer(maxTime));
        if (options.LearningRateMonitor is { } monitor)
            callbacks.Add(new LearningRateMonitor(monitor.LoggingInterval, monitor.LogMomentum, monitor.LogWeightDecay));
        foreach (var callback in options.Callbacks) callbacks.Add(callback);
        // The Trainer runs checkpoint callbacks last, so that an epoch is reported before its checkpoint is written.
        if (options.Checkpoints is { DirPath: { } dir } policy)
        {
            if (policy.SaveTopK != 0)
                callbacks.Add(Track(new ModelCheckpoint(new ModelCheckpointOptions { DirPath = dir, Monitor = policy.Monitor, Mode = policy.Mode, SaveTopK = policy.SaveTopK, Filename = "best-{step}" })));
            callbacks.Add(Track(new ModelCheckpoint(new ModelCheckpointOptions { DirPath = dir, SaveTopK = 0, SaveLast = true, EveryNTrainSteps = policy.EveryNTrainSteps })));
        }
        return new Trainer(trainerOptions);

        ModelCheckpoint Track(ModelCheckpoint checkpoint)
        {
            checkpoints?.Add(checkpoint);
            return checkpoint;
        }
    }

    sealed class ReportingCallback(UnifiedTrainerOptions options) : Callback
    {
        public override void OnTrainBatchEnd(TrainerView trainer, ITrainingModule module, TorchSharp.torch.Tensor loss, Batch batch, int batchIndex) =>
            options.OnStep?.Invoke(new StepReport(trainer.CurrentEpoch, batchIndex, trainer.Progress.BatchesPerEpoch, loss, batch.Size));

        public override void OnTrainEpochEnd(TrainerView trainer, ITrainingModule module) =>
            options.OnEpoch?.Invoke(new EpochResult(trainer.CurrentEpoch, trainer.GlobalStep, trainer.CallbackMetrics));
    }
}
