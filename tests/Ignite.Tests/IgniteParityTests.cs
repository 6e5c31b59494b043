using TorchSharp;
using Unified.Core.Checkpointing;
using Unified.Core.Data;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Ignite.Tests;

/// <summary>The Ignite front-end takes exactly the steps a hand-written TorchSharp loop takes.</summary>
[Collection(TorchCollection.Name)]
public sealed class IgniteParityTests
{
    [Fact]
    public void TrainerForAModule_OneEpochOnDigits_EndsBitwiseEqualToTheHandWrittenLoop()
    {
        using var data = new DigitsDataModule(new DigitsDataOptions { BatchSize = 64, Seed = 42 });
        Seed.Everything(42);
        var network = new DigitsMlp();
        using var module = new ClassificationModule(network, 1e-3);

        Supervised.CreateTrainer(module, new SupervisedTrainerOptions { Accelerator = "cpu" }).Run(data.Train, maxEpochs: 1);
        using var reference = ReferenceLoop.TrainDigitsMlp(data.Train, epochs: 1, seed: 42);

        torch.manual_seed(42);
        using var untrained = new DigitsMlp();
        Assert.False(ModuleWeights.BitwiseEqual(untrained, network), "Training did not change the weights.");
        Assert.True(ModuleWeights.BitwiseEqual(reference, network),
            $"Weights differ from the hand-written loop by up to {ModuleWeights.MaxAbsDifference(reference, network):E3}.");
        Assert.Equal(WeightsHash.Sha256(reference), WeightsHash.Sha256(network));
    }

    [Fact]
    public void TrainerFromParts_WithAdam_EndsBitwiseEqualToTheHandWrittenLoop()
    {
        using var data = new SliceDataModule(trainCount: 640, validationCount: 0, batchSize: 32);
        torch.manual_seed(42);
        using var model = new DigitsMlp();
        using var optimizer = optim.Adam(model.parameters(), 1e-3);

        Supervised.CreateTrainer(model, optimizer, (p, y) => nn.functional.cross_entropy(p, y), new SupervisedTrainerOptions { Accelerator = "cpu" })
            .Run(data.Train, maxEpochs: 2);
        using var reference = ReferenceLoop.TrainDigitsMlp(data.Train, epochs: 2, seed: 42);

        Assert.True(ModuleWeights.BitwiseEqual(reference, model),
            $"Weights differ from the hand-written loop by up to {ModuleWeights.MaxAbsDifference(reference, model):E3}.");
    }
}
