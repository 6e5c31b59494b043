using TorchSharp;
using Unified.Core.Numerics;
using Unified.Core.State;
using Unified.Core.Training;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

/// <summary>16-mixed's dynamic loss scaling, with PyTorch GradScaler semantics, through the step kernel.</summary>
[Collection(TorchCollection.Name)]
public sealed class GradScalerTests
{
    [Fact]
    public void InfGradient_SkipsTheStep_HalvesTheScale_AndDoesNotAdvanceTheScheduler()
    {
        torch.manual_seed(4);
        using var network = nn.Linear(8, 2);
        using var optimizer = optim.SGD(network.parameters(), 0.1);
        var scheduler = optim.lr_scheduler.StepLR(optimizer, step_size: 1, gamma: 0.5);
        using var kernel = new StepKernel(network, new OptimizerConfig(optimizer, scheduler, SchedulerInterval.Step), new StepOptions { Precision = "16-mixed" });
        var scaler = ((MixedPrecision)kernel.Precision).Scaler!;
        using var x = randn(16, 8);
        using var y = randint(2, 16);
        // A finite fp32 loss whose fp16 gradients overflow once scaled by 65536.
        Tensor Loss(double factor) => nn.functional.cross_entropy(network.call(x), y) * factor;

        using (kernel.Step(() => Loss(1))) { }
        double lr = optimizer.ParamGroups.First().LearningRate;
        var before = network.parameters().Select(p => p.detach().clone()).ToList();
        Assert.Equal(65536.0, scaler.Scale);

        using (kernel.Step(() => Loss(1e6))) { }

        Assert.Equal(32768.0, scaler.Scale);
        Assert.Equal(1, kernel.SkippedSteps);
        Assert.Equal(2, kernel.GlobalStep);
        Assert.Equal(lr, optimizer.ParamGroups.First().LearningRate);
        Assert.All(network.parameters().Zip(before), pair => Assert.True(pair.First.eq(pair.Second).all().item<bool>(), "a skipped step changed the weights"));
        before.ForEach(t => t.Dispose());

        using (kernel.Step(() => Loss(1))) { }
        Assert.Equal(lr * 0.5, optimizer.ParamGroups.First().LearningRate, 12);
    }

    [Fact]
    public void AfterGrowthIntervalCleanSteps_TheScaleDoubles()
    {
        torch.manual_seed(4);
        using var network = nn.Linear(4, 2);
        using var optimizer = optim.SGD(network.parameters(), 1e-3);
        using var kernel = new StepKernel(network, new OptimizerConfig(optimizer), new StepOptions { Precision = "16-mixed" });
        var scaler = ((MixedPrecision)kernel.Precision).Scaler!;
        using var x = randn(8, 4);
        using var y = randint(2, 8);

        for (int i = 0; i < 1999; i++) using (kernel.Step(() => nn.functional.cross_entropy(network.call(x), y))) { }
        Assert.Equal(65536.0, scaler.Scale);
        Assert.Equal(1999, scaler.GrowthTracker);

        using (kernel.Step(() => nn.functional.cross_entropy(network.call(x), y))) { }

        Assert.Equal(131072.0, scaler.Scale);
        Assert.Equal(0, scaler.GrowthTracker);
        Assert.Equal(0, kernel.SkippedSteps);
    }

    [Fact]
    public void ScalerState_RoundTripsThroughTheKernelState()
    {
        var scaler = new GradScaler();
        scaler.Update(foundInf: true);
        scaler.Update(foundInf: false);
        var restored = new GradScaler();

        restored.LoadStateDict(scaler.StateDict());

        Assert.Equal(32768.0, restored.Scale);
        Assert.Equal(1, restored.GrowthTracker);
    }

    [Fact]
    public void CorruptScalerState_IsRejected()
    {
        var state = new GradScaler().StateDict();
        state.Values["scale"] = double.PositiveInfinity;

        var e = Assert.Throws<InvalidDataException>(() => new GradScaler().LoadStateDict(state));
        Assert.Contains("scale", e.Message);
        Assert.Throws<InvalidDataException>(() => new GradScaler().LoadStateDict(new StateDict()));
    }

    [Theory]
    [InlineData(0.0, 2.0, 0.5, 2000)]
    [InlineData(65536.0, 1.0, 0.5, 2000)]
    [InlineData(65536.0, 2.0, 1.0, 2000)]
    [InlineData(65536.0, 2.0, 0.5, 0)]
    public void OutOfRangeSettings_AreRejected(double init, double growth, double backoff, int interval) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new GradScaler(init, growth, backoff, interval));
}
