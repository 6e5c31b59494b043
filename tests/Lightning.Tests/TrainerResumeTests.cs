using Unified.Core.Checkpointing;
using Unified.Core.Training;
using Unified.Lightning;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Lightning.Tests;

/// <summary>A fit stopped at any step and resumed from its checkpoint ends bitwise where an uninterrupted fit ends.</summary>
[Collection(TorchCollection.Name)]
public sealed class TrainerResumeTests : IDisposable
{
    const int Epochs = 3;
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    sealed class CancelAtStep(long step, CancellationTokenSource source) : Callback
    {
        public override void OnTrainBatchEnd(TrainerView trainer, ITrainingModule module, Tensor loss, Core.Data.Batch batch, int batchIndex)
        {
            if (trainer.GlobalStep == step) source.Cancel();
        }
    }

    static Trainer NewTrainer(params Callback[] callbacks) => NewTrainer("32-true", callbacks);

    static Trainer NewTrainer(string precision, params Callback[] callbacks)
    {
        var options = new TrainerOptions { MaxEpochs = Epochs, Seed = 42, Accelerator = "cpu", Precision = precision };
        foreach (var callback in callbacks) options.Callbacks.Add(callback);
        return new Trainer(options);
    }

    // 640 training samples in batches of 64: 10 steps per epoch.
    [Theory]
    [InlineData(7)]   // mid-epoch
    [InlineData(10)]  // last batch of epoch 0: resumes into epoch 0's end (scheduler, validation)
    [InlineData(23)]  // mid-epoch in a later epoch
    public void Fit_CancelledAtAStep_ResumesFromLastCkptToTheSameWeightsAndMetrics(long cancelAt)
    {
        using var data = new SliceDataModule(640, 128, 64);
        using var reference = new DropoutClassifier(1);
        var uninterrupted = NewTrainer();
        uninterrupted.Fit(reference, data);

        using (var first = new DropoutClassifier(1))
        using (var cancellation = new CancellationTokenSource())
        {
            var checkpoint = new ModelCheckpoint(new ModelCheckpointOptions { DirPath = temp.Path, SaveTopK = 0 });
            Assert.ThrowsAny<OperationCanceledException>(() => NewTrainer(new CancelAtStep(cancelAt, cancellation), checkpoint).Fit(first, data, null, cancellation.Token));
            Assert.Equal(temp.File(ModelCheckpoint.LastName), checkpoint.LastModelPath);
        }
        using var resumedModule = new DropoutClassifier(2);
        var resumed = NewTrainer();
        resumed.Fit(resumedModule, data, ckptPath: temp.File(ModelCheckpoint.LastName));

        Assert.Equal(WeightsHash.Sha256(reference.Network), WeightsHash.Sha256(resumedModule.Network));
        Assert.Equal(uninterrupted.GlobalStep, resumed.GlobalStep);
        Assert.Equal(uninterrupted.CallbackMetrics["train_loss"], resumed.CallbackMetrics["train_loss"]);
        Assert.Equal(uninterrupted.CallbackMetrics["val_accuracy"], resumed.CallbackMetrics["val_accuracy"]);
    }

    [Theory]
    [InlineData("bf16-mixed")]
    [InlineData("16-mixed")]
    public void Fit_InMixedPrecision_CancelledMidEpoch_ResumesToTheSameWeights(string precision)
    {
        using var data = new SliceDataModule(640, 128, 64);
        using var reference = new DropoutClassifier(1);
        NewTrainer(precision).Fit(reference, data);

        using (var first = new DropoutClassifier(1))
        using (var cancellation = new CancellationTokenSource())
        {
            var checkpoint = new ModelCheckpoint(new ModelCheckpointOptions { DirPath = temp.Path, SaveTopK = 0 });
            Assert.ThrowsAny<OperationCanceledException>(() =>
                NewTrainer(precision, new CancelAtStep(13, cancellation), checkpoint).Fit(first, data, null, cancellation.Token));
        }
        using var resumedModule = new DropoutClassifier(2);
        NewTrainer(precision).Fit(resumedModule, data, ckptPath: temp.File(ModelCheckpoint.LastName));

        Assert.Equal(WeightsHash.Sha256(reference.Network), WeightsHash.Sha256(resumedModule.Network));
    }

    [Fact]
    public void Fit_ResumedFromAnEveryNStepsCheckpoint_MatchesTheUninterruptedFit()
    {
        using var data = new SliceDataModule(640, 128, 64);
        using var reference = new DropoutClassifier(1);
        NewTrainer(new ModelCheckpoint(new ModelCheckpointOptions { DirPath = temp.Path, EveryNTrainSteps = 6, SaveTopK = -1 })).Fit(reference, data);
        string mid = temp.File("epoch=1-step=18.ckpt");
        Assert.True(File.Exists(mid));

        using var resumedModule = new DropoutClassifier(2);
        NewTrainer().Fit(resumedModule, data, ckptPath: mid);

        Assert.Equal(WeightsHash.Sha256(reference.Network), WeightsHash.Sha256(resumedModule.Network));
    }

    [Fact]
    public void Fit_ResumedWithACheckpointCallbackTheCheckpointDidNotHave_StartsThatCallbackFresh()
    {
        using var data = new SliceDataModule(128, 64, 64);
        using var module = new DropoutClassifier(1);
        var first = new Trainer(new TrainerOptions { MaxEpochs = 1, Seed = 42, Accelerator = "cpu" });
        first.Fit(module, data);
        string saved = temp.File("manual.ckpt");
        CheckpointFile.Save(saved, new Dictionary<string, Core.State.IStateful>
        {
            // A checkpoint written before any ModelCheckpoint was attached: it holds no callback state.
            ["model"] = new Core.State.ModuleState(module.Network),
        });

        using var resumedModule = new DropoutClassifier(2);
        var checkpoint = new ModelCheckpoint(new ModelCheckpointOptions { DirPath = temp.Path, Monitor = "val_loss" });
        var e = Assert.Throws<InvalidDataException>(() => NewTrainer(checkpoint).Fit(resumedModule, data, ckptPath: saved));

        Assert.Contains("optimizer", e.Message);
        Assert.DoesNotContain("callback_", e.Message);
    }

    [Fact]
    public void ModelCheckpoint_KeepsTheTopKByTheMonitor_AndLastCkpt()
    {
        using var data = new SliceDataModule(640, 128, 64);
        using var module = new DropoutClassifier(1);
        var checkpoint = new ModelCheckpoint(new ModelCheckpointOptions { DirPath = temp.Path, Monitor = "val_loss", Mode = Mode.Max, SaveTopK = 2, SaveLast = true });
        var trainer = NewTrainer(checkpoint);

        trainer.Fit(module, data);

        var losses = trainer.History.Select(h => h.Metrics["val_loss"]).ToList();
        var expected = losses.Select((loss, epoch) => (loss, epoch)).OrderByDescending(x => x.loss).Take(2).ToList();
        Assert.Equal(expected.Select(x => x.loss), checkpoint.Kept.Select(k => k.Score!.Value));
        Assert.Equal(checkpoint.Kept[0].Path, checkpoint.BestModelPath);
        var files = temp.FileNames();
        Assert.Equal(3, files.Length);
        Assert.Contains(ModelCheckpoint.LastName, files);
        foreach (var (_, epoch) in expected) Assert.Contains(files, f => f.StartsWith($"epoch={epoch}-", StringComparison.Ordinal));
    }

    [Fact]
    public void Fit_FromACheckpointOfAnotherModel_ReportsEveryMismatchedKey()
    {
        using var data = new SliceDataModule(128, 0, 64);
        using var module = new DropoutClassifier(1);
        NewTrainer(new ModelCheckpoint(new ModelCheckpointOptions { DirPath = temp.Path, SaveTopK = 0, SaveLast = true })).Fit(module, data);
        using var cnn = new Core.Models.ClassificationModule(new Core.Models.DigitsCnn(), 1e-3);

        var e = Assert.Throws<Core.State.StateMismatchException>(() => NewTrainer().Fit(cnn, data, ckptPath: temp.File("last.ckpt")));
        Assert.Contains(e.Problems, p => p.StartsWith("conv1.weight: missing", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.StartsWith("fc1.weight: unexpected", StringComparison.Ordinal));
    }
}
