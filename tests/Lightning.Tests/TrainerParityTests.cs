using TorchSharp;
using Unified.Core.Checkpointing;
using Unified.Core.Data;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Testing;
using Xunit;

namespace Unified.Lightning.Tests;

/// <summary>The Lightning front-end takes exactly the steps a hand-written TorchSharp loop takes.</summary>
[Collection(TorchCollection.Name)]
public sealed class TrainerParityTests
{
    [Fact]
    public void Fit_OneEpochOnDigits_EndsBitwiseEqualToTheHandWrittenLoop()
    {
        using var data = new DigitsDataModule(new DigitsDataOptions { BatchSize = 64, Seed = 42 });
        Seed.Everything(42);
        var network = new DigitsMlp();
        using var module = new ClassificationModule(network, 1e-3);

        new Trainer(new TrainerOptions { MaxEpochs = 1, Seed = 42, Accelerator = "cpu" }).Fit(module, data);
        using var reference = ReferenceLoop.TrainDigitsMlp(data.Train, epochs: 1, seed: 42);

        torch.manual_seed(42);
        using var untrained = new DigitsMlp();
        Assert.False(ModuleWeights.BitwiseEqual(untrained, network), "Training did not change the weights.");
        Assert.True(ModuleWeights.BitwiseEqual(reference, network),
            $"Weights differ from the hand-written loop by up to {ModuleWeights.MaxAbsDifference(reference, network):E3}.");
        Assert.Equal(WeightsHash.Sha256(reference), WeightsHash.Sha256(network));
    }

    [Fact]
    public void Fit_WithAccumulationOne_AndClippingThatNeverBites_StaysBitwiseEqualToTheHandWrittenLoop()
    {
        using var data = new SliceDataModule(trainCount: 640, validationCount: 0, batchSize: 32);
        Seed.Everything(42);
        var network = new DigitsMlp();
        using var module = new ClassificationModule(network, 1e-3);

        new Trainer(new TrainerOptions { MaxEpochs = 2, Accelerator = "cpu", GradientClipVal = 1e6 }).Fit(module, data);
        using var reference = ReferenceLoop.TrainDigitsMlp(data.Train, epochs: 2, seed: 42);

        // clip_grad_norm_ multiplies by min(1, clip / norm) = 1 exactly, so the weights must not move by a bit.
        Assert.True(ModuleWeights.BitwiseEqual(reference, network),
            $"Weights differ from the hand-written loop by up to {ModuleWeights.MaxAbsDifference(reference, network):E3}.");
    }
}
