using TorchSharp;
using Unified.Core.Data;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Testing;
using Xunit;

namespace Unified.Lightning.Tests;

[Collection(TorchCollection.Name)]
public sealed class TrainerFitTests
{
    [Fact]
    public void Fit_DigitsMlpForOneEpoch_ReachesOver85PercentValidationAccuracy()
    {
        using var data = new DigitsDataModule(new DigitsDataOptions { BatchSize = 64, Seed = 42 });
        Seed.Everything(42);
        using var module = new ClassificationModule(new DigitsMlp(), 1e-3);
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 1, Seed = 42, Accelerator = "cpu" });

        trainer.Fit(module, data);

        var epoch = Assert.Single(trainer.History);
        Assert.Equal(0, epoch.Epoch);
        Assert.Equal(125, epoch.GlobalStep);
        Assert.Equal(125, trainer.GlobalStep);
        Assert.Equal(new[] { "train_loss", "val_accuracy", "val_loss" }, epoch.Metrics.Keys.Order());
        Assert.True(epoch.Metrics["val_accuracy"] > 0.85, $"val_accuracy {epoch.Metrics["val_accuracy"]:F4} <= 0.85");
        Assert.InRange(epoch.Metrics["val_loss"], 0.05, 0.6);
        Assert.InRange(epoch.Metrics["train_loss"], 0.1, 1.5);
        Assert.Equal(epoch.Metrics, trainer.CallbackMetrics);
    }

    [Fact]
    public void Fit_LossDecreasesOverEpochs()
    {
        using var data = new SliceDataModule(trainCount: 512, validationCount: 256, batchSize: 32);
        Seed.Everything(42);
        using var module = new ClassificationModule(new DigitsMlp(), 1e-3);
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 3, Accelerator = "cpu" });

        trainer.Fit(module, data);

        Assert.Equal(3, trainer.History.Count);
        Assert.Equal(new[] { 0, 1, 2 }, trainer.History.Select(h => h.Epoch));
        Assert.Equal(new long[] { 16, 32, 48 }, trainer.History.Select(h => h.GlobalStep));
        Assert.True(trainer.History[2].Metrics["train_loss"] < trainer.History[0].Metrics["train_loss"]);
        Assert.True(trainer.History[2].Metrics["val_loss"] < trainer.History[0].Metrics["val_loss"]);
    }

    [Fact]
    public void Fit_ValidationMetrics_AreTheMeansOverTheValidationSet()
    {
        using var data = new SliceDataModule(trainCount: 256, validationCount: 100, batchSize: 32);
        Seed.Everything(42);
        var network = new DigitsMlp();
        using var module = new ClassificationModule(network, 1e-3);
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 1, Accelerator = "cpu" });

        trainer.Fit(module, data);

        // Independent computation over the whole validation split at once (the last batch has only 4 samples).
        var batches = data.Validation!.Epoch(0).ToList();
        using var inputs = torch.cat(batches.Select(b => b.Input).ToList(), 0);
        using var targets = torch.cat(batches.Select(b => b.Target).ToList(), 0);
        batches.ForEach(b => b.Dispose());
        network.eval();
        using var noGrad = torch.no_grad();
        using var logits = network.call(inputs);
        using var loss = torch.nn.functional.cross_entropy(logits, targets);
        using var hits = logits.argmax(1).eq(targets).sum();
        var metrics = trainer.History[0].Metrics;
        Assert.Equal(loss.item<float>(), metrics["val_loss"], 5);
        Assert.Equal(hits.item<long>() / 100.0, metrics["val_accuracy"], 6);
    }

    [Fact]
    public void Fit_WithLimitValBatchesZero_SkipsValidation()
    {
        var log = new HookLog();
        using var data = new SliceDataModule(trainCount: 64, validationCount: 64, batchSize: 16);
        using var module = new RecordingModule(log);

        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 2, Accelerator = "cpu", LimitValBatches = 0 });
        trainer.Fit(module, data);

        Assert.Equal(0, log.Count("module.ValidationStep"));
        Assert.All(trainer.History, h => Assert.Equal(new[] { "train_loss" }, h.Metrics.Keys));
    }

    [Fact]
    public void Fit_WithLimitValBatches_ValidatesOnlyThatManyBatches()
    {
        var log = new HookLog();
        using var data = new SliceDataModule(trainCount: 64, validationCount: 80, batchSize: 16);
        using var module = new RecordingModule(log);

        new Trainer(new TrainerOptions { MaxEpochs = 2, Accelerator = "cpu", LimitValBatches = 2, NumSanityValSteps = 0 }).Fit(module, data);

        Assert.Equal(4, log.Count("module.ValidationStep"));
    }

    [Fact]
    public void Fit_WithAccumulation_TakesOneOptimizerStepPerGroupAndOneForTheRemainder()
    {
        using var data = new SliceDataModule(trainCount: 7 * 16, validationCount: 0, batchSize: 16);
        Seed.Everything(42);
        using var module = new ClassificationModule(new DigitsMlp(), 1e-3);
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 2, Accelerator = "cpu", AccumulateGradBatches = 3 });

        trainer.Fit(module, data);

        Assert.Equal(new long[] { 3, 6 }, trainer.History.Select(h => h.GlobalStep));
    }

    [Fact]
    public void Fit_CancelledToken_ThrowsOperationCanceledAtTheNextBatchBoundary()
    {
        var log = new HookLog();
        using var data = new SliceDataModule(trainCount: 160, validationCount: 16, batchSize: 16);
        using var module = new RecordingModule(log);
        using var cancellation = new CancellationTokenSource();
        var options = new TrainerOptions { MaxEpochs = 3, Accelerator = "cpu" };
        options.Callbacks.Add(new RecordingCallback(log) { AfterBatch = p => { if (p.BatchIndex == 2) cancellation.Cancel(); } });
        var trainer = new Trainer(options);

        Assert.ThrowsAny<OperationCanceledException>(() => trainer.Fit(module, data, cancellation.Token));

        Assert.Equal(3, log.Count("module.TrainingStep"));
        Assert.Equal(3, trainer.GlobalStep);
        Assert.Empty(trainer.History);
        Assert.Equal("callback.OnException", log.Entries[^1]);
    }

    [Fact]
    public void Fit_Cancelled_LeavesNoBatchAlive()
    {
        using var data = new SliceDataModule(trainCount: 64, validationCount: 0, batchSize: 16);
        Seed.Everything(42);
        var network = new DigitsMlp();
        // Plain SGD keeps no per-parameter state, so every live tensor after the fit is one the loop leaked.
        using var optimizer = torch.optim.SGD(network.parameters(), 0.1);
        using var module = new Core.Training.SupervisedModule(network, (p, y) => torch.nn.functional.cross_entropy(p, y), optimizer);
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 1, Accelerator = "cpu" });
        long before = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        Assert.ThrowsAny<OperationCanceledException>(() => trainer.Fit(module, data, new CancellationToken(canceled: true)));

        Assert.Equal(before, TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Fit_AlreadyCancelledToken_TakesNoStep()
    {
        var log = new HookLog();
        using var data = new SliceDataModule(trainCount: 32, validationCount: 0, batchSize: 16);
        using var module = new RecordingModule(log);

        Assert.ThrowsAny<OperationCanceledException>(() =>
            new Trainer(new TrainerOptions { MaxEpochs = 1, Accelerator = "cpu" }).Fit(module, data, new CancellationToken(canceled: true)));

        Assert.Equal(0, log.Count("module.TrainingStep"));
    }

    [Fact]
    public void Fit_Twice_StartsAFreshHistory()
    {
        using var data = new SliceDataModule(trainCount: 32, validationCount: 16, batchSize: 16);
        Seed.Everything(1);
        using var module = new ClassificationModule(new DigitsMlp(), 1e-3);
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 2, Accelerator = "cpu" });

        trainer.Fit(module, data);
        trainer.Fit(module, data);

        Assert.Equal(2, trainer.History.Count);
        Assert.Equal(4, trainer.GlobalStep);
    }
}
