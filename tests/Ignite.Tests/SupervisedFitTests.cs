using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Core.Training;
using Unified.Testing;
using Xunit;

namespace Unified.Ignite.Tests;

/// <summary>
/// SupervisedFit's event order: the sanity check before TrainStarted; at every epoch's end the evaluator runs, then
/// EpochValidated's handlers see its metrics, then the checkpoint handlers run (as Lightning runs monitoring callbacks
/// after the module's on_train_epoch_end); max steps terminates inside an epoch with that epoch's end still shown.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class SupervisedFitTests
{
    [Fact]
    public void Run_SanityCheckThenTrainStarted_AndEpochValidatedSeesValidationBeforeTheCheckpoint()
    {
        using var temp = new TempDirectory();
        using var data = new SliceDataModule(trainCount: 96, validationCount: 64, batchSize: 32);
        Seed.Everything(42);
        using var module = new ClassificationModule(new DigitsMlp(), 1e-3);
        var fit = new SupervisedFit(module, data, new SupervisedFitOptions
        {
            MaxEpochs = 2, NumSanityValSteps = 1, Checkpoints = new() { DirPath = temp.Path }, Trainer = { Accelerator = "cpu" },
        });
        var seen = new List<string>();
        fit.Evaluator!.On(Events.Completed, e => seen.Add($"validated {e.State.EpochLength}"));
        fit.Trainer.On(SupervisedFit.TrainStarted, _ => seen.Add("train started"));
        fit.Trainer.On(SupervisedFit.EpochValidated, e =>
            seen.Add($"epoch {e.State.Epoch}: val_loss {e.State.Metrics.ContainsKey("val_loss")}, last.ckpt {File.Exists(temp.File("last.ckpt"))}"));
        fit.Run();

        Assert.Equal(["validated 1", "train started", "validated 2", "epoch 1: val_loss True, last.ckpt False", "validated 2", "epoch 2: val_loss True, last.ckpt True"], seen);
        Assert.Equal([3L, 6L], fit.History.Select(h => h.GlobalStep));
        Assert.Throws<InvalidOperationException>(() => fit.Run());
    }

    [Fact]
    public void MaxStepsInsideAnEpoch_TerminatesThere_AndStillValidatesAndCheckpoints()
    {
        using var temp = new TempDirectory();
        using var data = new SliceDataModule(trainCount: 96, validationCount: 64, batchSize: 32);
        Seed.Everything(42);
        using var module = new ClassificationModule(new DigitsMlp(), 1e-3);
        var fit = new SupervisedFit(module, data, new SupervisedFitOptions
        {
            MaxEpochs = 3, MaxSteps = 4, Checkpoints = new() { DirPath = temp.Path }, Trainer = { Accelerator = "cpu" },
        });
        fit.Run();

        Assert.Equal(4, fit.Kernel.GlobalStep);
        Assert.Equal([(0, 3L), (1, 4L)], fit.History.Select(h => (h.Epoch, h.GlobalStep)));
        Assert.True(fit.History[^1].Metrics.ContainsKey("val_loss"));
        Assert.True(File.Exists(temp.File("last.ckpt")));
        // Inside the second epoch: a resume continues at its second batch.
        Assert.Equal((2, 1), (fit.Trainer.State.Epoch, fit.Trainer.State.EpochIteration));
    }
}
