using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Ignite;
using Unified.Lightning;
using Unified.Testing;
using Unified.Tuning.Integrations;
using Unified.Tuning.Pruners;
using Xunit;

namespace Unified.Tuning.Tests;

/// <summary>
/// The Lightning callback and the Ignite handler on tiny digits fits: trial 0 (a good learning rate) completes,
/// trial 1 (a learning rate that cannot learn in an epoch) falls below the median after its first epoch and is
/// pruned there, its fit stopped (optuna-integration's PyTorchLightningPruningCallback / PyTorchIgnitePruningHandler).
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class PruningIntegrationTests
{
    const int Epochs = 3;

    static Study TwoTrials()
    {
        var study = Study.Create(direction: StudyDirection.Maximize, pruner: new MedianPruner(startupTrials: 1));
        study.EnqueueTrial(new Dictionary<string, object?> { ["lr"] = 3e-3 });
        study.EnqueueTrial(new Dictionary<string, object?> { ["lr"] = 1e-7 });
        return study;
    }

    static void AssertSecondPrunedAfterOneEpoch(Study study, List<int> epochsRun)
    {
        Assert.Equal([TrialState.Complete, TrialState.Pruned], study.Trials.Select(t => t.State));
        Assert.Equal(Epochs, study.Trials[0].IntermediateValues.Count);
        Assert.Single(study.Trials[1].IntermediateValues);
        Assert.Equal([Epochs, 1], epochsRun);
        Assert.True(study.Trials[0].Value > 0.5, $"the good trial reached {study.Trials[0].Value}");
    }

    [Fact]
    public void LightningCallback_ReportsEachEpoch_AndStopsAPrunedFit()
    {
        TorchRuntime.Initialize(new RuntimeOptions { Threads = 1 });
        using var data = new SliceDataModule(512, 256, 64);
        var study = TwoTrials();
        var epochsRun = new List<int>();
        study.Optimize(trial =>
        {
            Seed.Everything(1);
            using var module = new ClassificationModule(new DigitsMlp(64), trial.SuggestFloat("lr", 1e-8, 1e-1, log: true));
            var options = new TrainerOptions { MaxEpochs = Epochs, Accelerator = "cpu" };
            options.Callbacks.Add(new LightningPruningCallback(trial, "val_accuracy"));
            var trainer = new Trainer(options);
            try
            {
                trainer.Fit(module, data);
            }
            finally
            {
                epochsRun.Add(trainer.History.Count);
            }
            return trainer.CallbackMetrics["val_accuracy"];
        }, nTrials: 2);
        AssertSecondPrunedAfterOneEpoch(study, epochsRun);
        Assert.Equal([0, 1, 2], study.Trials[0].IntermediateValues.Keys);
    }

    [Fact]
    public void IgniteHandler_ReportsEachEvaluation_AndStopsAPrunedRun()
    {
        TorchRuntime.Initialize(new RuntimeOptions { Threads = 1 });
        using var data = new SliceDataModule(512, 256, 64);
        var study = TwoTrials();
        var epochsRun = new List<int>();
        study.Optimize(trial =>
        {
            Seed.Everything(1);
            using var module = new ClassificationModule(new DigitsMlp(64), trial.SuggestFloat("lr", 1e-8, 1e-1, log: true));
            var trainer = Supervised.CreateTrainer(module, new SupervisedTrainerOptions { Accelerator = "cpu" });
            var evaluator = Supervised.CreateEvaluator(module, "cpu");
            new IgnitePruningHandler(trial, "val_accuracy", trainer).Attach(evaluator);
            int epochs = 0;
            trainer.On(Events.EpochCompleted, _ => { epochs++; evaluator.Run(data.Validation!); });
            try
            {
                trainer.Run(data.Train, Epochs);
            }
            finally
            {
                epochsRun.Add(epochs);
            }
            return evaluator.State.Metric("val_accuracy");
        }, nTrials: 2);
        AssertSecondPrunedAfterOneEpoch(study, epochsRun);
        Assert.Equal([1, 2, 3], study.Trials[0].IntermediateValues.Keys); // Ignite's epochs count from 1
    }

    [Fact]
    public void AMonitorThatIsNotLogged_FailsTheTrial_NamingWhatWasLogged()
    {
        TorchRuntime.Initialize(new RuntimeOptions { Threads = 1 });
        using var data = new SliceDataModule(128, 64, 64);
        var study = Study.Create();
        study.Optimize(trial =>
        {
            using var module = new ClassificationModule(new DigitsMlp(16), 1e-3);
            var options = new TrainerOptions { MaxEpochs = 1, Accelerator = "cpu" };
            options.Callbacks.Add(new LightningPruningCallback(trial, "val_acc"));
            new Trainer(options).Fit(module, data);
            return 0;
        }, nTrials: 1);
        Assert.Equal(TrialState.Fail, study.Trials[0].State);
        Assert.Contains("monitors 'val_acc', which epoch 0 did not log (logged: train_loss, val_accuracy, val_loss)", study.Trials[0].SystemAttrs["fail_reason"].GetString());
    }
}
