using Unified.Core.Checkpointing;
using Unified.Core.Training;
using Unified.Ignite;
using Unified.Testing;
using Xunit;

namespace Unified.Ignite.Tests;

/// <summary>An engine interrupted at any iteration and resumed from its checkpoint ends bitwise where an uninterrupted run ends.</summary>
[Collection(TorchCollection.Name)]
public sealed class CheckpointResumeTests : IDisposable
{
    const int Epochs = 3;
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    static Engine NewTrainer(ITrainingModule module, string precision = "32-true")
    {
        Core.Runtime.Seed.Everything(42);
        return Supervised.CreateTrainer(module, new SupervisedTrainerOptions { Accelerator = "cpu", Precision = precision });
    }

    static StepKernel Kernel(Engine trainer) => (StepKernel)Supervised.ToSave(trainer).Parts["kernel"];

    // 640 training samples in batches of 64: 10 iterations per epoch.
    [Theory]
    [InlineData(7, "32-true")]      // mid-epoch
    [InlineData(10, "32-true")]     // after the last iteration of epoch 1, before its EpochCompleted
    [InlineData(23, "32-true")]     // mid-epoch in a later epoch
    [InlineData(13, "bf16-mixed")]  // the checkpoint holds the float32 masters, not the compute copies
    [InlineData(13, "16-mixed")]    // ... and the loss scaler's state
    public void Run_InterruptedAtAnIteration_ResumesFromTheHandlersCheckpointToTheSameWeights(long interruptAt, string precision)
    {
        using var data = new SliceDataModule(640, 0, 64);
        using var reference = new DropoutClassifier(1);
        NewTrainer(reference, precision).Run(data.Train, Epochs);

        string saved;
        using (var first = new DropoutClassifier(1))
        using (var cancellation = new CancellationTokenSource())
        {
            var trainer = NewTrainer(first, precision);
            var handler = new Checkpoint(Supervised.ToSave(trainer).Parts, new DiskSaver(temp.Path), nSaved: 1);
            trainer.On(Events.Interrupt, handler.Handle);
            trainer.On(Events.IterationCompleted.Once((int)interruptAt), _ => cancellation.Cancel());
            Assert.ThrowsAny<OperationCanceledException>(() => trainer.Run(data.Train, Epochs, cancellation.Token));
            saved = handler.LastCheckpoint!;
            Assert.Equal(temp.File($"checkpoint_{interruptAt}.ckpt"), saved);
        }
        using var resumedModule = new DropoutClassifier(2);
        var resumed = NewTrainer(resumedModule, precision);
        Checkpoint.LoadObjects(Supervised.ToSave(resumed).Parts, saved);
        Assert.Equal(interruptAt, resumed.State.Iteration);
        var state = resumed.Run(data.Train, Epochs);

        Assert.Equal(WeightsHash.Sha256(reference.Network), WeightsHash.Sha256(resumedModule.Network));
        Assert.Equal(Epochs * 10L, state.Iteration);
        Assert.Equal(Epochs, state.Epoch);
    }

    [Fact]
    public void Run_ResumedFromAnEpochCompletedCheckpoint_StartsTheNextEpoch()
    {
        using var data = new SliceDataModule(640, 0, 64);
        using var reference = new DropoutClassifier(1);
        var trainer = NewTrainer(reference);
        var handler = new Checkpoint(Supervised.ToSave(trainer).Parts, new DiskSaver(temp.Path), filenamePrefix: "epoch", nSaved: -1);
        trainer.On(Events.EpochCompleted, handler.Handle);
        trainer.Run(data.Train, Epochs);

        using var resumedModule = new DropoutClassifier(2);
        var resumed = NewTrainer(resumedModule);
        var epochs = new List<int>();
        resumed.On(Events.EpochStarted, e => epochs.Add(e.State.Epoch));
        Checkpoint.LoadObjects(Supervised.ToSave(resumed).Parts, temp.File("epoch_10.ckpt"));
        resumed.Run(data.Train, Epochs);

        Assert.Equal([2, 3], epochs);
        Assert.Equal(WeightsHash.Sha256(reference.Network), WeightsHash.Sha256(resumedModule.Network));
        Assert.Equal(["epoch_10.ckpt", "epoch_20.ckpt", "epoch_30.ckpt"], temp.FileNames());
    }

    [Fact]
    public void Checkpoint_KeepsTheNSavedNewest_DeletingOlderFilesAfterTheNewOneIsWritten()
    {
        using var data = new SliceDataModule(640, 0, 64);
        using var module = new DropoutClassifier(1);
        var trainer = NewTrainer(module);
        var handler = new Checkpoint(Supervised.ToSave(trainer).Parts, new DiskSaver(temp.Path), nSaved: 2);
        trainer.On(Events.IterationCompleted.Every(3), handler.Handle);

        trainer.Run(data.Train, 1);

        Assert.Equal(["checkpoint_6.ckpt", "checkpoint_9.ckpt"], temp.FileNames());
        Assert.Equal(temp.File("checkpoint_9.ckpt"), handler.LastCheckpoint);
    }

    [Fact]
    public void Checkpoint_WithAScoreFunction_KeepsTheHighestScores()
    {
        using var data = new SliceDataModule(640, 0, 64);
        using var module = new DropoutClassifier(1);
        var trainer = NewTrainer(module);
        double[] scores = [0.2, 0.9, 0.1, 0.5, 0.7];
        var handler = new Checkpoint(Supervised.ToSave(trainer).Parts, new DiskSaver(temp.Path),
            scoreFunction: e => scores[e.State.Iteration / 2 - 1], scoreName: "acc", nSaved: 2);
        trainer.On(Events.IterationCompleted.Every(2), handler.Handle);

        trainer.Run(data.Train, 1);

        Assert.Equal([0.9, 0.7], handler.Kept.Select(k => k.Score!.Value));
        Assert.Equal(["checkpoint_10_acc=0.7000.ckpt", "checkpoint_4_acc=0.9000.ckpt"], temp.FileNames());
    }

    [Fact]
    public void Engine_StateDict_RoundTripsItsCounters()
    {
        using var data = new SliceDataModule(128, 0, 64);
        using var module = new DropoutClassifier(1);
        var trainer = NewTrainer(module);
        trainer.Run(data.Train, 2);

        var state = trainer.StateDict();

        Assert.Equal(4L, state.Value<long>("iteration"));
        Assert.Equal(2, state.Value<int>("epochs_completed"));
        Assert.Equal(2, state.Value<int>("epoch_length"));
        Assert.Equal(4, Kernel(trainer).GlobalStep);
    }
}
