using TorchSharp;
using Unified.Core.Data;
using Unified.Core.Models;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Adapters.Tests;

/// <summary>Mixed precision trains the digits MLP as well as fp32, through either front-end, and leaves fp32 weights.</summary>
[Collection(TorchCollection.Name)]
public sealed class UnifiedTrainerPrecisionTests
{
    static (double Accuracy, DigitsMlp Network) Fit(string framework, string precision)
    {
        using var data = new DigitsDataModule(new DigitsDataOptions { BatchSize = 64, Seed = 42 });
        torch.manual_seed(42);
        var network = new DigitsMlp();
        var module = new ClassificationModule(network, 1e-3);
        var result = new UnifiedTrainer(framework, new UnifiedTrainerOptions { MaxEpochs = 3, Seed = 42, Accelerator = "cpu", Precision = precision }).Fit(module, data);
        module.Logged.Dispose();
        return (result.History[^1].Metrics["val_accuracy"], network);
    }

    [Theory]
    [InlineData("lightning", "bf16-mixed")]
    [InlineData("ignite", "bf16-mixed")]
    [InlineData("lightning", "16-mixed")]
    public void MixedPrecisionFit_ReachesFloat32AccuracyWithinOnePoint_AndLeavesFloat32Weights(string framework, string precision)
    {
        var (full, fullNetwork) = Fit(framework, "32-true");
        var (mixed, mixedNetwork) = Fit(framework, precision);
        using var _f = fullNetwork;
        using var _m = mixedNetwork;

        Assert.True(full > 0.9, $"32-true reached only {full:F4}.");
        Assert.True(Math.Abs(mixed - full) <= 0.01, $"{precision} reached {mixed:F4}, 32-true {full:F4}.");
        Assert.All(mixedNetwork.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        Assert.False(ModuleWeights.BitwiseEqual(fullNetwork, mixedNetwork), $"{precision} gave 32-true's exact weights.");
    }
}
