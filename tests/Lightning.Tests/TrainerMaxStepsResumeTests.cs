using TorchSharp;
using Unified.Core.Data;
using Unified.Core.Models;
using Unified.Core.Checkpointing;
using Unified.Core.Training;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Lightning.Tests;

/// <summary>
/// A fit ended by MaxSteps mid-epoch records where it stopped; resuming it with more steps or epochs ends bitwise where
/// an uninterrupted fit ends, although the stopped fit ran its epoch end (validation, callbacks, last.ckpt).
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class TrainerMaxStepsResumeTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    // The digits MLP with an epoch-interval scheduler: a scheduler stepped at the stopped fit's early epoch end would
    // change every later learning rate.
    sealed class ScheduledMlp : LightningModule
    {
        public ScheduledMlp() : base(Seeded()) { }

        static DigitsMlp Seeded()
        {
            manual_seed(7);
            return new DigitsMlp();
        }

        public override Tensor TrainingStep(Batch batch, int batchIndex)
        {
            var loss = nn.functional.cross_entropy(Forward(batch.Input), batch.Target);
            Log("train_loss", loss, batch.Size, onStep: false, onEpoch: true); // an epoch mean (Lightning: on_epoch=True)
            return loss;
        }

        public override void ValidationStep(Batch batch, int batchIndex)
        {
            var logits = Forward(batch.Input);
            Log("val_loss", nn.functional.cross_entropy(logits, batch.Target), batch.Size);
            Log("val_accuracy", logits.argmax(1).eq(batch.Target).to_type(ScalarType.Float32).mean(), batch.Size);
        }

        public override OptimizerConfig ConfigureOptimizers()
        {
            var adam = optim.Adam(Network.parameters(), 2e-3);
            return new OptimizerConfig(adam, optim.lr_scheduler.StepLR(adam, step_size: 1, gamma: 0.5), SchedulerInterval.Epoch);
        }
    }

    Trainer NewTrainer(int maxEpochs, long? maxSteps, bool checkpoint)
    {
        var options = new TrainerOptions { MaxEpochs = maxEpochs, MaxSteps = maxSteps, Seed = 42, Accelerator = "cpu" };
        if (checkpoint) options.Callbacks.Add(new ModelCheckpoint(new ModelCheckpointOptions { DirPath = temp.Path, SaveTopK = 0, SaveLast = true }));
        return new Trainer(options);
    }

    // The bundled digits at batch 64: 125 steps per epoch.
    [Theory]
    [InlineData(60L, 2, null)]   // stopped in epoch 0, resumed to the epochs' end
    [InlineData(60L, 3, 190L)]   // stopped in epoch 0, resumed to more steps, ending mid-epoch 1
    [InlineData(170L, 2, null)]  // stopped in epoch 1
    public void Fit_StoppedByMaxStepsMidEpoch_ResumesToTheUninterruptedWeightsAndMetrics(long stopAt, int maxEpochs, long? maxSteps)
    {
        using var data = new DigitsDataModule(new DigitsDataOptions { BatchSize = 64 });
        using var reference = new ScheduledMlp();
        var uninterrupted = NewTrainer(maxEpochs, maxSteps, checkpoint: false);
        uninterrupted.Fit(reference, data);

        using (var first = new ScheduledMlp())
        {
            var stopped = NewTrainer(maxEpochs, stopAt, checkpoint: true);
            stopped.Fit(first, data);
            Assert.Equal(stopAt, stopped.GlobalStep);
            // The stopped fit still ran its (partial) epoch's end: validation metrics and last.ckpt.
            Assert.Contains("val_loss", stopped.CallbackMetrics.Keys);
            Assert.True(File.Exists(temp.File(ModelCheckpoint.LastName)));
        }
        using var resumedModule = new ScheduledMlp();
        var resumed = NewTrainer(maxEpochs, maxSteps, checkpoint: false);
        resumed.Fit(resumedModule, data, ckptPath: temp.File(ModelCheckpoint.LastName));

        Assert.Equal(WeightsHash.Sha256(reference.Network), WeightsHash.Sha256(resumedModule.Network));
        Assert.Equal(uninterrupted.GlobalStep, resumed.GlobalStep);
        Assert.Equal(uninterrupted.CallbackMetrics["train_loss"], resumed.CallbackMetrics["train_loss"]);
        Assert.Equal(uninterrupted.CallbackMetrics["val_loss"], resumed.CallbackMetrics["val_loss"]);
        Assert.Equal(uninterrupted.History[^1].Epoch, resumed.History[^1].Epoch);
    }

    [Fact]
    public void Fit_StoppedByMaxStepsMidEpoch_SavesItsPositionInsideTheEpoch()
    {
        using var data = new DigitsDataModule(new DigitsDataOptions { BatchSize = 64 });
        using var module = new ScheduledMlp();
        NewTrainer(2, 60, checkpoint: true).Fit(module, data);

        using var contents = Core.Checkpointing.CheckpointFile.Load(temp.File(ModelCheckpoint.LastName));
        var loop = contents.Part("loop");
        Assert.Equal((0, 60, 60L), (loop.Value<int>("epoch"), loop.Value<int>("batches_done"), loop.Value<long>("global_step")));
        // The logged part holds the training means of the 60 batches only, not the validation that ran after them.
        Assert.Equal(60 * 64L, contents.Part("logged").Value<long>("counts.train_loss"));
        Assert.DoesNotContain(contents.Part("logged").Values.Keys, k => k.Contains("val_", StringComparison.Ordinal));
        // The epoch scheduler did not step: its epoch has not ended.
        Assert.Equal(0, contents.Part("lr_scheduler").Value<int>("_last_epoch"));
    }
}
