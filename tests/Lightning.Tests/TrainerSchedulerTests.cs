using TorchSharp.Modules;
using Unified.Core.Data;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Core.Training;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Lightning.Tests;

/// <summary>
/// Scheduler configs as Lightning 2.x steps them (src/lightning/pytorch/loops/training_epoch_loop.py, advance: non-plateau
/// schedulers with the epoch's last batch, before <c>on_train_batch_end</c> and validation; fit_loop.py on_advance_end:
/// <c>ReduceLROnPlateau</c> after <c>on_train_epoch_end</c>, on <c>trainer.callback_metrics[monitor]</c>, a missing key
/// raising "ReduceLROnPlateau conditioned on metric ... which is not available. Available metrics are: ...").
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class TrainerSchedulerTests
{
    // Logs a constant val_loss: a plateau from the first epoch on.
    sealed class PlateauModule(Func<optim.Optimizer, OptimizerConfig> configure) : LightningModule(new DigitsMlp())
    {
        public override Tensor TrainingStep(Batch batch, int batchIndex) => nn.functional.cross_entropy(Forward(batch.Input), batch.Target);

        public override void ValidationStep(Batch batch, int batchIndex) => Log("val_loss", tensor(1.0f), batch.Size);

        public override OptimizerConfig ConfigureOptimizers() => configure(optim.SGD(Network.parameters(), 0.1));
    }

    // Reads the learning rate through the callbacks' view (as a LearningRateMonitor does).
    sealed class LrRecorder : Callback
    {
        public List<string> Seen { get; } = [];

        static double Lr(TrainerView trainer) => trainer.Optimizers[0].ParamGroups.First().LearningRate;

        public override void OnTrainEpochStart(TrainerView trainer, ITrainingModule module) => Seen.Add($"epoch_start {Lr(trainer):G3}");
        public override void OnValidationStart(TrainerView trainer, ITrainingModule module)
        {
            if (!trainer.SanityChecking) Seen.Add($"validation_start {Lr(trainer):G3}");
        }
        public override void OnTrainEpochEnd(TrainerView trainer, ITrainingModule module) => Seen.Add($"epoch_end {Lr(trainer):G3}");
    }

    static Trainer NewTrainer(int epochs, Callback callback) =>
        new(new TrainerOptions { MaxEpochs = epochs, Accelerator = "cpu", NumSanityValSteps = 0, Callbacks = { callback } });

    [Fact]
    public void ReduceLROnPlateau_MonitoringValLoss_LowersTheRateAfterValidationOnAPlateau()
    {
        using var data = new SliceDataModule(trainCount: 64, validationCount: 32, batchSize: 32);
        Seed.Everything(1);
        using var module = new PlateauModule(o => new OptimizerConfig(o, optim.lr_scheduler.ReduceLROnPlateau(o, factor: 0.5, patience: 1)) { Monitor = "val_loss" });
        var recorder = new LrRecorder();
        var trainer = NewTrainer(4, recorder);

        trainer.Fit(module, data);

        // best at epoch 0; epochs 1 and 2 are bad: the second exceeds patience 1, so the rate halves after epoch 2's
        // validation and epoch-end hooks (torch's ReduceLROnPlateau, stepped by Lightning's fit loop).
        Assert.Equal(new[]
        {
            "epoch_start 0.1", "validation_start 0.1", "epoch_end 0.1",
            "epoch_start 0.1", "validation_start 0.1", "epoch_end 0.1",
            "epoch_start 0.1", "validation_start 0.1", "epoch_end 0.1",
            "epoch_start 0.05", "validation_start 0.05", "epoch_end 0.05",
        }, recorder.Seen);
        Assert.Same(trainer.Optimizers[0], trainer.LrSchedulerConfigs[0].Optimizer);
        Assert.Equal("val_loss", trainer.LrSchedulerConfigs[0].Monitor);
    }

    [Fact]
    public void EpochScheduler_StepsWithTheEpochsLastBatch_BeforeValidation()
    {
        using var data = new SliceDataModule(trainCount: 64, validationCount: 32, batchSize: 32);
        Seed.Everything(1);
        using var module = new PlateauModule(o => new OptimizerConfig(o, optim.lr_scheduler.StepLR(o, 1, 0.5)));
        var recorder = new LrRecorder();

        NewTrainer(2, recorder).Fit(module, data);

        // training_epoch_loop.py advance: update_lr_schedulers("epoch", update_plateau_schedulers=False) once
        // _num_ready_batches_reached(), before validation runs in on_advance_end.
        Assert.Equal(new[] { "epoch_start 0.1", "validation_start 0.05", "epoch_end 0.05", "epoch_start 0.05", "validation_start 0.025", "epoch_end 0.025" }, recorder.Seen);
    }

    [Fact]
    public void ReduceLROnPlateau_MonitoringAKeyNeverLogged_FailsListingTheLoggedKeys()
    {
        using var data = new SliceDataModule(trainCount: 64, validationCount: 32, batchSize: 32);
        using var module = new PlateauModule(o => new OptimizerConfig(o, optim.lr_scheduler.ReduceLROnPlateau(o)) { Monitor = "val_los" });

        var e = Assert.Throws<InvalidOperationException>(() => NewTrainer(2, new LrRecorder()).Fit(module, data));

        Assert.Contains("'val_los'", e.Message);
        Assert.Contains("Logged: val_loss", e.Message);
    }

    [Fact]
    public void ReduceLROnPlateau_WithoutMonitor_IsRefusedBeforeTraining()
    {
        using var data = new SliceDataModule(trainCount: 64, validationCount: 32, batchSize: 32);
        using var module = new PlateauModule(o => new OptimizerConfig(o, optim.lr_scheduler.ReduceLROnPlateau(o)));
        var recorder = new LrRecorder();

        var e = Assert.Throws<ArgumentException>(() => NewTrainer(2, recorder).Fit(module, data));

        Assert.Contains("OptimizerConfig.Monitor", e.Message);
        Assert.Empty(recorder.Seen);
    }

    [Fact]
    public void ReduceLROnPlateau_NotStrict_SkipsAMissingMonitor()
    {
        using var data = new SliceDataModule(trainCount: 64, validationCount: 32, batchSize: 32);
        using var module = new PlateauModule(o => new OptimizerConfig(o, optim.lr_scheduler.ReduceLROnPlateau(o, patience: 0)) { Monitor = "nope", Strict = false });
        var trainer = NewTrainer(3, new LrRecorder());

        trainer.Fit(module, data);

        Assert.Equal(0.1, trainer.Optimizers[0].ParamGroups.First().LearningRate, 12);
    }

    // training_epoch_loop.py update_lr_schedulers("step"): not while accumulating, and only when (batch_idx + 1) is a
    // multiple of the config's frequency, batch_idx counted within the epoch (it starts again each epoch).
    [Fact]
    public void StepIntervalScheduler_WithFrequency_StepsOnOptimizerStepsWhoseBatchIndexPlusOneIsAMultiple()
    {
        using var data = new SliceDataModule(trainCount: 9 * 8, validationCount: 0, batchSize: 8);
        Seed.Everything(1);
        using var module = new PlateauModule(o => new OptimizerConfig(o, optim.lr_scheduler.StepLR(o, 1, 0.5), SchedulerInterval.Step, Frequency: 3));
        var rates = new List<string>();
        var recorder = new LambdaCallback(onTrainBatchEnd: (t, m, loss, batch, i) => rates.Add($"{t.CurrentEpoch}.{i} {t.Optimizers[0].ParamGroups.First().LearningRate:G3}"));
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 2, Accelerator = "cpu", NumSanityValSteps = 0, AccumulateGradBatches = 2, Callbacks = { recorder } });

        trainer.Fit(module, data);

        // Optimiser steps at batches 1, 3, 5, 7 and 8 (the epoch's last); of those, 5 and 8 have (index + 1) % 3 == 0.
        Assert.Equal(new[]
        {
            "0.0 0.1", "0.1 0.1", "0.2 0.1", "0.3 0.1", "0.4 0.1", "0.5 0.05", "0.6 0.05", "0.7 0.05", "0.8 0.025",
            "1.0 0.025", "1.1 0.025", "1.2 0.025", "1.3 0.025", "1.4 0.025", "1.5 0.0125", "1.6 0.0125", "1.7 0.0125", "1.8 0.00625",
        }, rates);
        Assert.Equal(10, trainer.GlobalStep);
    }
}
