using Unified.Core.Checkpointing;
using Unified.Core.Data;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Testing;
using Xunit;

namespace Unified.Adapters.Tests;

/// <summary>The same seed, data and options end with the same weights through either front-end and a hand-written loop.</summary>
[Collection(TorchCollection.Name)]
public sealed class UnifiedTrainerParityTests
{
    static (FitResult Result, DigitsMlp Network) FitFresh(string framework, int epochs)
    {
        using var data = new DigitsDataModule(new DigitsDataOptions { BatchSize = 64, Seed = 42 });
        Seed.Everything(42);
        var network = new DigitsMlp();
        var module = new ClassificationModule(network, 1e-3);
        var result = new UnifiedTrainer(framework, new UnifiedTrainerOptions { MaxEpochs = epochs, Seed = 42, Accelerator = "cpu" }).Fit(module, data);
        module.Logged.Dispose();
        return (result, network);
    }

    [Fact]
    public void LightningAndIgnite_TwoEpochs_EndWithBitwiseEqualWeightsEqualHistoryAndTheHandWrittenLoopsWeights()
    {
        var (lightning, lightningNetwork) = FitFresh("lightning", epochs: 2);
        var (ignite, igniteNetwork) = FitFresh("ignite", epochs: 2);
        using var _l = lightningNetwork;
        using var _i = igniteNetwork;
        using var data = new DigitsDataModule(new DigitsDataOptions { BatchSize = 64, Seed = 42 });
        using var reference = ReferenceLoop.TrainDigitsMlp(data.Train, epochs: 2, seed: 42);

        Assert.True(ModuleWeights.BitwiseEqual(lightningNetwork, igniteNetwork),
            $"Lightning and Ignite weights differ by up to {ModuleWeights.MaxAbsDifference(lightningNetwork, igniteNetwork):E3}.");
        Assert.True(ModuleWeights.BitwiseEqual(reference, lightningNetwork),
            $"Weights differ from the hand-written loop by up to {ModuleWeights.MaxAbsDifference(reference, lightningNetwork):E3}.");
        Assert.Equal(WeightsHash.Sha256(reference), WeightsHash.Sha256(igniteNetwork));

        Assert.Equal(("lightning", "ignite"), (lightning.Framework, ignite.Framework));
        Assert.Equal(2, lightning.History.Count);
        Assert.Equal(2, ignite.History.Count);
        for (int epoch = 0; epoch < 2; epoch++)
        {
            var (l, i) = (lightning.History[epoch], ignite.History[epoch]);
            Assert.Equal((epoch, 125L * (epoch + 1)), (l.Epoch, l.GlobalStep));
            Assert.Equal((l.Epoch, l.GlobalStep), (i.Epoch, i.GlobalStep));
            Assert.Equal(new[] { "train_loss", "val_accuracy", "val_loss" }, l.Metrics.Keys.Order());
            Assert.Equal(l.Metrics.OrderBy(kv => kv.Key), i.Metrics.OrderBy(kv => kv.Key));
        }
        Assert.Equal((250L, 16000L), (lightning.Steps, lightning.TrainSamples));
        Assert.Equal((lightning.Steps, lightning.TrainSamples), (ignite.Steps, ignite.TrainSamples));
        Assert.True(lightning.FinalMetrics["val_accuracy"] > 0.85);
        Assert.True(lightning.History[1].Metrics["train_loss"] < lightning.History[0].Metrics["train_loss"]);
    }

    [Fact]
    public void DifferentSeeds_EndWithDifferentWeights()
    {
        // Control for the parity test: the comparison would notice a different start.
        using var data = new SliceDataModule(trainCount: 128, validationCount: 0, batchSize: 32);
        var networks = new List<DigitsMlp>();
        foreach (long seed in new long[] { 1, 2 })
        {
            Seed.Everything(seed);
            var network = new DigitsMlp();
            networks.Add(network);
            new UnifiedTrainer("lightning", new UnifiedTrainerOptions { Accelerator = "cpu", Validate = false })
                .Fit(new ClassificationModule(network, 1e-3), data);
        }

        Assert.False(ModuleWeights.BitwiseEqual(networks[0], networks[1]));
        networks.ForEach(n => n.Dispose());
    }
}
