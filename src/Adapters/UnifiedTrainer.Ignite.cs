using TorchSharp;
using Unified.Core.Accelerators;
using Unified.Core.Checkpointing;
using Unified.Core.Data;
using Unified.Core.Logging;
using Unified.Core.Distributed;
using Unified.Core.Runtime;
using Unified.Core.Training;
using Unified.Ignite;
using Unified.Lightning;
using static TorchSharp.torch;

namespace Unified.Adapters;

// The Ignite mapping: options become a SupervisedFit with Ignite's handlers; a LightningModule's hooks are attached to
// the engines' events in Lightning's order (LightningHooksOnIgnite).
public sealed partial class UnifiedTrainer
{
    (IReadOnlyList<EpochResult>, long, (int WorldSize, int Rank)) FitIgnite(ITrainingModule module, IDataModule data, CancellationToken cancellationToken)
    {
        TorchRuntime.Initialize();
        using var strategy = DdpStrategy.Resolve(options.Strategy, options.Devices, options.NumNodes, options.Ddp);
        var group = strategy?.Group;
        if (options.Seed is long seed) Seed.Everything(seed);
        var hooks = LightningHooksOnIgnite.Begin(module, data, TrainerStage.Fit);
        var fit = new SupervisedFit(module, data, IgniteOptions(options, group));
        // The data module's state after the handlers' (Lightning's checkpoint_connector dump_checkpoint).
        if (data is LightningDataModule dataModule) fit.ToSave.Add(LightningDataModule.PartName, dataModule, optional: true);
        int perEpoch = fit.Data.Train.Count;
        if (options.OnStep is { } onStep)
            fit.Trainer.On(Events.IterationCompleted, e => onStep(new StepReport(
                e.State.Epoch - 1, e.State.EpochIteration - 1, perEpoch, (Tensor)e.State.Output!, e.State.Batch!.Size)));
        if (options.OnEpoch is { } onEpoch) fit.Trainer.On(SupervisedFit.EpochValidated, _ => onEpoch(fit.History[^1]));
        hooks?.Attach(fit);
        foreach (var handler in options.Handlers) handler.Attach(fit.Trainer);
        fit.Run(cancellationToken);
        LightningHooksOnIgnite.End(hooks, data, TrainerStage.Fit);
        BestCheckpoint = fit.BestCheckpoints?.Kept.FirstOrDefault()?.Path;
        return (fit.History, fit.Kernel.GlobalStep, (group?.WorldSize ?? 1, group?.Rank ?? 0));
    }

    // The one mapping of the shared options onto Ignite's (UnifiedTrainerOptionsMappingTests checks that none is left out).
    internal static SupervisedFitOptions IgniteOptions(UnifiedTrainerOptions options, IProcessGroup? group)
    {
        var trainer = new SupervisedTrainerOptions
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
        foreach (var logger in options.Loggers) trainer.Loggers.Add(logger);
        return new SupervisedFitOptions
        {
            Trainer = trainer,
            MaxEpochs = options.MaxEpochs,
            MaxSteps = options.MaxSteps,
            Validate = options.Validate,
            NumSanityValSteps = options.NumSanityValSteps,
            CheckValEveryNEpoch = options.CheckValEveryNEpoch,
            LearningRateMonitor = options.LearningRateMonitor,
            Checkpoints = options.Checkpoints,
            EarlyStopping = options.EarlyStopping,
            MaxTime = options.MaxTime,
            ResumeFrom = options.ResumeFrom,
        };
    }

    IReadOnlyDictionary<string, double> IgniteValidate(ITrainingModule module, IDataModule data, string? ckptPath) =>
        Evaluate(module, data, TrainerStage.Validate, ckptPath, (evaluator, hooks) => hooks?.AttachValidation(evaluator),
            () => Supervised.CreateEvaluator(module, options.Accelerator),
            d => d.Validation ?? throw new InvalidOperationException("Validate needs a validation split: the data module's Validation is null (e.g. DigitsDataOptions.ValidationFraction is 0).")).ScalarMetrics();

    IReadOnlyDictionary<string, double> IgniteTest(LightningModule module, IDataModule data, string? ckptPath)
    {
        // A LightningDataModule builds its splits in Setup (checked there); any other data module has them now.
        if (data is not LightningDataModule && data.Test is null) throw NoTestSplit();
        if (module.GetType().GetMethod(nameof(LightningModule.TestStep))!.DeclaringType == typeof(LightningModule))
            throw new InvalidOperationException($"{module.GetType().Name} does not override TestStep; override it to log what a test measures.");
        return Evaluate(module, data, TrainerStage.Test, ckptPath, (evaluator, hooks) => hooks!.AttachTest(evaluator),
            () => Supervised.CreateEvaluator(module, (batch, i) => { module.TestStep(batch, i); return null; }, options.Accelerator),
            d => d.Test ?? throw NoTestSplit()).ScalarMetrics();
    }

    static InvalidOperationException NoTestSplit() =>
        new("Test needs a test split: the data module's Test is null (for the digits set DigitsDataOptions.TestFraction, e.g. 0.1).");

    IReadOnlyList<Tensor> IgnitePredict(LightningModule module, IDataModule data, string? ckptPath)
    {
        var predictions = new List<Tensor>();
        Evaluate(module, data, TrainerStage.Predict, ckptPath, (evaluator, hooks) =>
        {
            evaluator.On(Events.IterationCompleted, e => predictions.Add(((Tensor)e.State.Output!).detach().DetachFromDisposeScope()));
            hooks!.AttachPredict(evaluator);
        }, () => Supervised.CreateEvaluator(module, (batch, i) => module.PredictStep(batch, i), options.Accelerator),
            d => d.Predict ?? d.Test ?? throw new InvalidOperationException("Predict needs batches: the data module's Predict and Test are both null."));
        return predictions;
    }

    // Lightning's entry-point preamble and teardown around one evaluator run, as Trainer.Validate/Test/Predict; the
    // loader is read after the data module's Setup.
    State Evaluate(ITrainingModule module, IDataModule data, TrainerStage stage, string? ckptPath, Action<Engine, LightningHooksOnIgnite?> attach,
        Func<Engine> create, Func<IDataModule, IBatchLoader> loaderOf)
    {
        ArgumentNullException.ThrowIfNull(module);
        TorchRuntime.Initialize();
        if (ckptPath is not null) ModelWeights.Load(module.Network, ckptPath);
        module.Network.to(Accelerator.Resolve(options.Accelerator).Device);
        var hooks = LightningHooksOnIgnite.Begin(module, data, stage);
        var loader = loaderOf(data);
        var evaluator = create();
        attach(evaluator, hooks);
        var state = evaluator.Run(loader);
        LightningHooksOnIgnite.End(hooks, data, stage);
        return state;
    }
}
