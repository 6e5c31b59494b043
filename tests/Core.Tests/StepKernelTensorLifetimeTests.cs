using TorchSharp;
using Unified.Core.Training;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

/// <summary>Every tensor a step creates is freed by the kernel's dispose scope (live counts are per thread).</summary>
[Collection(TorchCollection.Name)]
public sealed class StepKernelTensorLifetimeTests
{
    static long LiveTensors => DisposeScopeManager.Statistics.ThreadTotalLiveCount;

    [Theory]
    [InlineData(1, null)]
    [InlineData(3, 1.0)]
    public void LiveTensorCount_IsFlatAcrossFiftySteps(int accumulate, double? clip)
    {
        torch.manual_seed(1);
        using var model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4));
        using var optimizer = optim.Adam(model.parameters(), 1e-3);
        var kernel = new StepKernel(model, new OptimizerConfig(optimizer),
            new StepOptions { AccumulateGradBatches = accumulate, GradientClipValue = clip });
        using var x = randn(32, 8);
        using var y = randint(4, 32);
        Tensor Forward() => nn.functional.cross_entropy(model.call(x), y);

        for (int i = 0; i < 6; i++) using (kernel.Step(Forward)) { }
        long before = LiveTensors;
        for (int i = 0; i < 50; i++) using (kernel.Step(Forward)) { }
        long after = LiveTensors;

        Assert.Equal(before, after);
        Assert.True(kernel.GlobalStep > 10);
    }

    [Fact]
    public void LiveTensorCount_DetectsATensorKeptPastTheStep()
    {
        // Control for the test above: a tensor moved out of the scope and never disposed shows up in the count.
        torch.manual_seed(1);
        using var model = nn.Linear(8, 4);
        using var optimizer = optim.SGD(model.parameters(), 0.1);
        var kernel = new StepKernel(model, new OptimizerConfig(optimizer));
        using var x = randn(32, 8);
        using var y = randint(4, 32);
        var kept = new List<Tensor>();

        for (int i = 0; i < 3; i++) using (kernel.Step(() => nn.functional.cross_entropy(model.call(x), y))) { }
        long before = LiveTensors;
        for (int i = 0; i < 5; i++)
            using (kernel.Step(() =>
            {
                var loss = nn.functional.cross_entropy(model.call(x), y);
                kept.Add(loss.detach().DetachFromDisposeScope());
                return loss;
            })) { }
        long after = LiveTensors;
        kept.ForEach(t => t.Dispose());

        Assert.Equal(before + 5, after);
    }
}
