using Unified.Core.Checkpointing;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Core.Training;
using Unified.Testing;
using Xunit;

namespace Unified.Adapters.Tests;

/// <summary>
/// Early stopping, top-k checkpoints and the time limit, declared once in UnifiedTrainerOptions, behave the same through
/// Lightning's callbacks (EarlyStopping, ModelCheckpoint, Timer) and Ignite's handlers (EarlyStopping, Checkpoint, TimeLimit).
/// Lightning (callbacks/early_stopping.py) and Ignite (handlers/early_stopping.py) agree on the rule: an improvement
/// must beat the best by more than min_delta, and patience checks without one stop the fit.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class UnifiedTrainerPolicyParityTests
{
    static (FitResult Result, string Sha256) Fit(string framework, UnifiedTrainerOptions options)
    {
        using var data = new SliceDataModule(trainCount: 128, validationCount: 64, batchSize: 32);
        Seed.Everything(42);
        var network = new DigitsMlp();
        using var module = new ClassificationModule(network, 1e-3);
        var result = new UnifiedTrainer(framework, options).Fit(module, data);
        string sha = WeightsHash.Sha256(network);
        network.Dispose();
        return (result, sha);
    }

    [Fact]
    public void EarlyStopping_StopsBothFrontEndsAfterTheSameEpoch_WithTheSameWeights()
    {
        // MinDelta larger than any change: the first check sets the best, the second has no improvement, patience 1 stops.
        UnifiedTrainerOptions Options() => new()
        {
            MaxEpochs = 5, Seed = 42, Accelerator = "cpu",
            EarlyStopping = new EarlyStoppingPolicy { Monitor = "val_loss", Patience = 1, MinDelta = 10 },
        };
        var lightning = Fit("lightning", Options());
        var ignite = Fit("ignite", Options());

        Assert.Equal(2, lightning.Result.History.Count);
        Assert.Equal(lightning.Result.History.Count, ignite.Result.History.Count);
        Assert.Equal(lightning.Result.Steps, ignite.Result.Steps);
        Assert.Equal(lightning.Sha256, ignite.Sha256);
    }

    [Fact]
    public void WithoutEarlyStopping_TheSameFitRunsAllEpochs()
    {
        // Control for the test above: it is the policy that stops the fit.
        var (result, _) = Fit("ignite", new UnifiedTrainerOptions { MaxEpochs = 3, Seed = 42, Accelerator = "cpu" });
        Assert.Equal(3, result.History.Count);
    }

    [Theory]
    [InlineData("lightning")]
    [InlineData("ignite")]
    public void SaveTopK_KeepsTheBestTwoByValLoss_AndLastCkpt(string framework)
    {
        using var temp = new TempDirectory();
        var trainer = new UnifiedTrainer(framework, new UnifiedTrainerOptions
        {
            MaxEpochs = 4, Seed = 42, Accelerator = "cpu",
            Checkpoints = new CheckpointPolicy { DirPath = temp.Path, SaveTopK = 2, Monitor = "val_loss" },
        });
        using var data = new SliceDataModule(trainCount: 128, validationCount: 64, batchSize: 32);
        Seed.Everything(42);
        using var module = new ClassificationModule(new DigitsMlp(), 1e-3);
        var result = trainer.Fit(module, data);

        var files = temp.FileNames();
        Assert.Contains("last.ckpt", files);
        Assert.Equal(2, files.Count(f => f.StartsWith("best", StringComparison.Ordinal)));
        // The best is the epoch with the lowest val_loss, and Validate("best") reads it back.
        double best = result.History.Min(h => h.Metrics["val_loss"]);
        Assert.NotNull(trainer.BestCheckpoint);
        Assert.Equal(best, trainer.Validate(module, data, "best")["val_loss"], 5);
    }

    [Fact]
    public void MaxTime_StopsBothFrontEndsAtTheFirstStepBoundary_WithACheckpointAndTheSameWeights()
    {
        using var temp = new TempDirectory();
        // A limit that has always passed by the first step: both stop there, finishing that epoch's end.
        UnifiedTrainerOptions Options(string dir) => new() { MaxEpochs = 3, Seed = 42, Accelerator = "cpu", MaxTime = TimeSpan.FromTicks(1), CheckpointDir = dir };
        var lightning = Fit("lightning", Options(temp.File("l")));
        var ignite = Fit("ignite", Options(temp.File("i")));

        Assert.Equal((1L, 1L), (lightning.Result.Steps, ignite.Result.Steps));
        Assert.Equal(lightning.Sha256, ignite.Sha256);
        Assert.True(File.Exists(Path.Combine(temp.File("l"), "last.ckpt")));
        Assert.True(File.Exists(Path.Combine(temp.File("i"), "last.ckpt")));
    }
}
