using TorchSharp;
using Unified.Core.Data;
using Unified.Core.Logging;
using Unified.Core.Models;
using Unified.Core.Training;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Lightning.Tests;

/// <summary>EarlyStopping with Lightning's semantics (callbacks/early_stopping.py) together with top-k checkpoints.</summary>
[Collection(TorchCollection.Name)]
public sealed class EarlyStoppingTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    // Learns for PlateauFrom epochs, then its learning rate is 0: every later validation loss is bitwise the same.
    sealed class PlateauingMlp(int plateauFrom) : LightningModule(new DigitsMlp())
    {
        public override Tensor TrainingStep(Batch batch, int batchIndex)
        {
            var loss = nn.functional.cross_entropy(Forward(batch.Input), batch.Target);
            Log("train_loss", loss, batch.Size);
            return loss;
        }

        public override void ValidationStep(Batch batch, int batchIndex) =>
            Log("val_loss", nn.functional.cross_entropy(Forward(batch.Input), batch.Target), batch.Size);

        public override OptimizerConfig ConfigureOptimizers()
        {
            var sgd = optim.SGD(Network.parameters(), 0.05);
            return new(sgd, optim.lr_scheduler.StepLR(sgd, step_size: plateauFrom, gamma: 0.0));
        }
    }

    sealed class StatusLogger : IExperimentLogger
    {
        public RunStatus? Status { get; private set; }
        public string Name => "status";
        public void LogHyperparameters(IReadOnlyDictionary<string, object?> hyperparameters) { }
        public void LogMetrics(IReadOnlyDictionary<string, double> metrics, long step) { }
        public void Flush() { }
        public void Finish(RunStatus status) => Status = status;
        public void Dispose() { }
    }

    [Fact]
    public void EarlyStoppingWithTopTwoCheckpoints_OnAPlateau_StopsAfterPatienceEpochsAndKeepsTheTwoBest()
    {
        using var data = new DigitsDataModule(new DigitsDataOptions { BatchSize = 64 });
        Core.Runtime.Seed.Everything(3);
        using var module = new PlateauingMlp(plateauFrom: 3);
        var stopping = new EarlyStopping(new EarlyStoppingOptions { Monitor = "val_loss", Patience = 2 });
        var checkpoint = new ModelCheckpoint(new ModelCheckpointOptions { DirPath = temp.Path, Monitor = "val_loss", SaveTopK = 2, Filename = "{epoch}-{val_loss:.4f}" });
        var status = new StatusLogger();
        var options = new TrainerOptions { MaxEpochs = 20, Accelerator = "cpu", LimitTrainBatches = 20, LimitValBatches = 8 };
        options.Callbacks.Add(checkpoint);
        options.Callbacks.Add(stopping);
        options.Loggers.Add(status);
        var trainer = new Trainer(options);

        trainer.Fit(module, data);

        var losses = trainer.History.Select(h => h.Metrics["val_loss"]).ToList();
        // Epochs 0-2 learn; 3 and 4 repeat epoch 2's loss exactly (no improvement), so patience 2 stops after epoch 4.
        Assert.Equal(5, losses.Count);
        Assert.True(losses[1] < losses[0] && losses[2] < losses[1], string.Join(", ", losses));
        Assert.Equal(losses[2], losses[3]);
        Assert.Equal(losses[2], losses[4]);
        Assert.True(trainer.ShouldStop);
        Assert.Equal(EarlyStoppingReason.PatienceExhausted, stopping.StoppingReason);
        Assert.Equal(4, stopping.StoppedEpoch);
        Assert.Equal(2, stopping.WaitCount);
        Assert.Equal(losses[2], stopping.BestScore);
        Assert.Contains("did not improve in the last 2 records", stopping.StoppingReasonMessage);
        Assert.Equal(RunStatus.Success, status.Status);

        // The kept files are the two lowest losses, named by the template.
        Assert.Equal(losses.Order().Take(2), checkpoint.Kept.Select(k => k.Score!.Value));
        var files = temp.FileNames().Order().ToList();
        Assert.Equal(2, files.Count);
        Assert.Equal(checkpoint.Kept.Select(k => Path.GetFileName(k.Path)).Order(), files);
        Assert.All(files, f => Assert.Matches(@"^epoch=\d-val_loss=\d\.\d{4}\.ckpt$", f));
        Assert.Contains(files, f => f.StartsWith("epoch=2-", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(Mode.Min, 0.5, EarlyStoppingReason.StoppingThreshold)]
    [InlineData(Mode.Max, 0.5, EarlyStoppingReason.DivergenceThreshold)]
    public void Thresholds_StopAtTheFirstCheckThatCrossesThem(Mode mode, double threshold, EarlyStoppingReason expected)
    {
        using var data = new DigitsDataModule(new DigitsDataOptions { BatchSize = 64 });
        using var module = new PlateauingMlp(plateauFrom: 100);
        var stopping = new EarlyStopping(new EarlyStoppingOptions
        {
            Monitor = "val_loss", Mode = mode, Patience = 100,
            StoppingThreshold = mode == Mode.Min ? threshold : null, DivergenceThreshold = mode == Mode.Max ? threshold : null,
        });
        var options = new TrainerOptions { MaxEpochs = 30, Accelerator = "cpu", LimitTrainBatches = 20, LimitValBatches = 8 };
        options.Callbacks.Add(stopping);
        var trainer = new Trainer(options);

        trainer.Fit(module, data);

        var losses = trainer.History.Select(h => h.Metrics["val_loss"]).ToList();
        // Min: stops once val_loss < 0.5; Max treats lower as worse, so val_loss < 0.5 diverges.
        Assert.Equal(expected, stopping.StoppingReason);
        Assert.True(losses[^1] < threshold);
        Assert.All(losses[..^1], l => Assert.True(l >= threshold));
    }

    [Fact]
    public void AMonitorNeverLogged_FailsListingTheLoggedKeys()
    {
        using var data = new SliceDataModule(128, 64, 64);
        using var module = new PlateauingMlp(plateauFrom: 1);
        var options = new TrainerOptions { MaxEpochs = 2, Accelerator = "cpu" };
        options.Callbacks.Add(new EarlyStopping(new EarlyStoppingOptions { Monitor = "val_los" }));

        var e = Assert.Throws<InvalidOperationException>(() => new Trainer(options).Fit(module, data));

        Assert.Contains("'val_los'", e.Message);
        Assert.Contains("train_loss, val_loss", e.Message);
    }

    [Fact]
    public void ModelCheckpoint_WithAMonitorNeverLogged_FailsListingTheLoggedKeys()
    {
        using var data = new SliceDataModule(128, 64, 64);
        using var module = new PlateauingMlp(plateauFrom: 1);
        var options = new TrainerOptions { MaxEpochs = 1, Accelerator = "cpu" };
        options.Callbacks.Add(new ModelCheckpoint(new ModelCheckpointOptions { DirPath = temp.Path, Monitor = "val_los" }));

        var e = Assert.Throws<InvalidOperationException>(() => new Trainer(options).Fit(module, data));

        Assert.Contains("Monitor = \"val_los\"", e.Message);
        Assert.Contains("Logged: train_loss, val_loss", e.Message);
        Assert.Empty(temp.FileNames());
    }

    [Fact]
    public void ModelCheckpoint_SaveWeightsOnlyEveryTwoEpochs_WritesLoadableWeights()
    {
        using var data = new SliceDataModule(128, 64, 64);
        using var module = new PlateauingMlp(plateauFrom: 10);
        var options = new TrainerOptions { MaxEpochs = 4, Accelerator = "cpu" };
        options.Callbacks.Add(new ModelCheckpoint(new ModelCheckpointOptions { DirPath = temp.Path, SaveTopK = -1, EveryNEpochs = 2, SaveWeightsOnly = true, Filename = "{epoch:02d}" }));

        new Trainer(options).Fit(module, data);

        Assert.Equal(["epoch=01.ckpt", "epoch=03.ckpt"], temp.FileNames().Order());
        using var loaded = new DigitsMlp();
        Core.Checkpointing.ModelWeights.Load(loaded, temp.File("epoch=03.ckpt"));
        Assert.Equal(Core.Checkpointing.WeightsHash.Sha256(module.Network), Core.Checkpointing.WeightsHash.Sha256(loaded));
    }

    [Theory]
    [InlineData(2, null, "needs a Monitor")]
    [InlineData(1, "{epoch:x}", "format 'x'")]
    public void ModelCheckpointOptions_RefuseBadCombinations(int topK, string? filename, string message)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => new ModelCheckpoint(new ModelCheckpointOptions { DirPath = temp.Path, SaveTopK = topK, Filename = filename }));
        Assert.Contains(message, e.Message);
    }
}
