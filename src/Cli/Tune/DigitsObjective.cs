using Unified.Adapters;
using Unified.Core.Data;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Ignite;
using Unified.Lightning;
using Unified.Tuning;
using Unified.Tuning.Integrations;

namespace Unified.Cli.Tune;

/// <summary>
/// The objective of <c>unified tune</c>: one digits-MLP fit with the trial's learning rate (log-uniform), batch size
/// (a choice) and hidden width (log-uniform integer), trained through the chosen front-end with its pruning
/// integration reporting the monitored metric after every epoch. Every trial starts from the same seed, so trials
/// differ by their parameters, not by their luck; the trial with <c>unified fit</c>'s defaults reproduces its fit.
/// </summary>
public sealed class DigitsObjective(TuneSettings settings, CancellationToken cancellationToken)
{
    /// <summary>The learning rate's range (Adam), searched on a log scale.</summary>
    public static (double Low, double High) LearningRate { get; } = (1e-4, 1e-1);

    /// <summary>The batch sizes offered.</summary>
    public static IReadOnlyList<int> BatchSizes { get; } = [32, 64, 128, 256];

    /// <summary>The hidden width's range, searched on a log scale.</summary>
    public static (int Low, int High) HiddenWidth { get; } = (32, 512);

    /// <summary>Trains one trial and returns the monitored metric after its last epoch.</summary>
    /// <exception cref="TrialPrunedException">The pruner stopped the trial.</exception>
    public double Evaluate(Trial trial)
    {
        ArgumentNullException.ThrowIfNull(trial);
        double lr = trial.SuggestFloat("lr", LearningRate.Low, LearningRate.High, log: true);
        int batchSize = trial.SuggestCategorical("batch_size", BatchSizes);
        int width = trial.SuggestInt("hidden_width", HiddenWidth.Low, HiddenWidth.High, log: true);
        using var data = new DigitsDataModule(new DigitsDataOptions
        {
            BatchSize = batchSize,
            Seed = settings.Seed,
            Layout = InputLayout.Flat,
            ClassCount = DigitsModels.ClassCount,
            ImageSize = DigitsModels.ImageSize,
        });
        Seed.Everything(settings.Seed);
        using var module = new ClassificationModule(new DigitsMlp(width), lr);
        return settings.Framework == Frameworks.Lightning ? FitLightning(trial, module, data) : FitIgnite(trial, module, data);
    }

    double FitLightning(Trial trial, ClassificationModule module, DigitsDataModule data)
    {
        // A trial writes no checkpoint and prints nothing: the command reports the study.
        var options = new TrainerOptions
        {
            MaxEpochs = settings.Epochs, Accelerator = "cpu", LimitTrainBatches = settings.LimitTrainBatches,
            EnableCheckpointing = false, EnableProgressBar = false, EnableModelSummary = false,
        };
        options.Callbacks.Add(new LightningPruningCallback(trial, settings.Monitor));
        var trainer = new Trainer(options);
        trainer.Fit(module, data, cancellationToken);
        return trainer.CallbackMetrics[settings.Monitor];
    }

    double FitIgnite(Trial trial, ClassificationModule module, DigitsDataModule data)
    {
        var trainer = Supervised.CreateTrainer(module, new SupervisedTrainerOptions { Accelerator = "cpu" });
        var evaluator = Supervised.CreateEvaluator(module, "cpu");
        new IgnitePruningHandler(trial, settings.Monitor, trainer).Attach(evaluator);
        trainer.On(Events.EpochCompleted, _ => evaluator.Run(data.Validation!, cancellationToken: cancellationToken));
        trainer.Run(data.Train, settings.Epochs, epochLength: settings.LimitTrainBatches, cancellationToken: cancellationToken);
        return evaluator.State.Metric(settings.Monitor);
    }
}
