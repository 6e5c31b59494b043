using System.Diagnostics;
using Unified.Core.Data;
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
        var (history, steps) = Framework == Frameworks.Lightning
            ? FitLightning(module, data, cancellationToken)
            : FitIgnite(module, data, cancellationToken);
        return new FitResult(Framework, history, steps, (long)data.Train.SampleCount * history.Count, clock.Elapsed.TotalSeconds);
    }

    (IReadOnlyList<EpochResult>, long) FitLightning(ITrainingModule module, IDataModule data, CancellationToken cancellationToken)
    {
        var trainerOptions = new TrainerOptions
        {
            MaxEpochs = options.MaxEpochs,
            Seed = options.Seed,
            Accelerator = options.Accelerator,
            Precision = options.Precision,
            AccumulateGradBatches = options.AccumulateGradBatches,
            GradientClipVal = options.GradientClipValue,
            GradientClipAlgorithm = options.GradientClipAlgorithm,
            LimitValBatches = options.Validate ? null : 0,
        };
        if (options.OnStep is not null || options.OnEpoch is not null) trainerOptions.Callbacks.Add(new ReportingCallback(options));
        var trainer = new Trainer(trainerOptions);
        trainer.Fit(module, data, cancellationToken);
        return (trainer.History, trainer.GlobalStep);
    }

    (IReadOnlyList<EpochResult>, long) FitIgnite(ITrainingModule module, IDataModule data, CancellationToken cancellationToken)
    {
        if (options.Seed is long seed) Core.Runtime.Seed.Everything(seed);
        var trainer = Supervised.CreateTrainer(module, new SupervisedTrainerOptions
        {
            Accelerator = options.Accelerator,
            Precision = options.Precision,
            GradientAccumulationSteps = options.AccumulateGradBatches,
            ClipGradient = options.GradientClipValue,
            ClipAlgorithm = options.GradientClipAlgorithm,
        });
        var history = new List<EpochResult>();
        long steps = 0;
        int accumulate = options.AccumulateGradBatches, perEpoch = data.Train.Count;
        if (options.OnStep is { } onStep)
            trainer.On(Events.IterationCompleted, e => onStep(new StepReport(
                e.State.Epoch - 1, e.State.EpochIteration - 1, perEpoch, (TorchSharp.torch.Tensor)e.State.Output!, e.State.Batch!.Size)));
        trainer.On(Events.EpochCompleted, e =>
        {
            // The kernel steps every `accumulate` micro-batches and at the end of each epoch.
            steps += (perEpoch + accumulate - 1) / accumulate;
            var metrics = new Dictionary<string, double>(e.State.Metrics);
            if (options.Validate && data.Validation is { } validation)
            {
                var evaluator = Supervised.CreateEvaluator(module, options.Accelerator);
                foreach (var (name, value) in evaluator.Run(validation, cancellationToken: cancellationToken).Metrics) metrics[name] = value;
            }
            var result = new EpochResult(e.State.Epoch - 1, steps, metrics);
            history.Add(result);
            options.OnEpoch?.Invoke(result);
        });
        trainer.Run(data.Train, options.MaxEpochs, cancellationToken);
        return (history, steps);
    }

    sealed class ReportingCallback(UnifiedTrainerOptions options) : Callback
    {
        public override void OnTrainBatchEnd(TrainerProgress progress, ITrainingModule module, TorchSharp.torch.Tensor loss, int batchSize) =>
            options.OnStep?.Invoke(new StepReport(progress.Epoch, progress.BatchIndex, progress.BatchesPerEpoch, loss, batchSize));

        public override void OnTrainEpochEnd(TrainerProgress progress, ITrainingModule module, EpochResult result) =>
            options.OnEpoch?.Invoke(result);
    }
}
