using TorchSharp;
using TorchSharp.Modules;
using Unified.Core.Training;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

[Collection(TorchCollection.Name)]
public sealed class StepKernelTests
{
    const int Features = 10, Classes = 3;

    static Linear SeededLinear(long seed = 5)
    {
        torch.manual_seed(seed);
        return nn.Linear(Features, Classes);
    }

    static optim.Optimizer CreateOptimizer(string name, Linear model) => name switch
    {
        "sgd" => optim.SGD(model.parameters(), 0.1),
        "adam" => optim.Adam(model.parameters(), 0.01),
        _ => throw new ArgumentException(name),
    };

    static (Tensor X, Tensor Y) Data(int samples)
    {
        using var generator = new Generator(1234);
        var x = randn(samples, Features, generator: generator);
        var y = randint(Classes, samples, generator: generator);
        return (x, y);
    }

    static double LearningRate(optim.Optimizer optimizer) => optimizer.ParamGroups.First().LearningRate;

    [Theory]
    [InlineData("sgd")]
    [InlineData("adam")]
    public void AccumulatingFourMicroBatches_MatchesOneBatchFourTimesAsLarge(string optimizerName)
    {
        const int microBatch = 5, accumulate = 4, steps = 20;
        var (x, y) = Data(microBatch * accumulate * steps);
        using var _x = x;
        using var _y = y;

        using var accumulated = SeededLinear();
        using var accumulatedOptimizer = CreateOptimizer(optimizerName, accumulated);
        var accumulating = new StepKernel(accumulated, new OptimizerConfig(accumulatedOptimizer), new StepOptions { AccumulateGradBatches = accumulate });
        for (int i = 0; i < steps * accumulate; i++)
        {
            int start = i * microBatch;
            using var loss = accumulating.Step(() => nn.functional.cross_entropy(accumulated.call(x.narrow(0, start, microBatch)), y.narrow(0, start, microBatch)));
        }

        using var large = SeededLinear();
        using var largeOptimizer = CreateOptimizer(optimizerName, large);
        var plain = new StepKernel(large, new OptimizerConfig(largeOptimizer));
        for (int i = 0; i < steps; i++)
        {
            int start = i * microBatch * accumulate;
            using var loss = plain.Step(() => nn.functional.cross_entropy(large.call(x.narrow(0, start, microBatch * accumulate)), y.narrow(0, start, microBatch * accumulate)));
        }

        Assert.Equal(steps, accumulating.GlobalStep);
        Assert.Equal(steps, plain.GlobalStep);
        using var initial = SeededLinear();
        Assert.True(ModuleWeights.MaxAbsDifference(initial, large) > 1e-3, "The weights did not move; the comparison would be vacuous.");
        Assert.True(ModuleWeights.MaxAbsDifference(accumulated, large) <= 1e-6,
            $"Max abs weight difference {ModuleWeights.MaxAbsDifference(accumulated, large):E3} exceeds 1e-6.");
    }

    [Fact]
    public void AccumulationChangedAtAStepBoundary_StepsAtTheNewFactor_AndCheckpointsKeepTheConfiguredOne()
    {
        using var model = SeededLinear();
        using var optimizer = optim.SGD(model.parameters(), 0.1);
        var kernel = new StepKernel(model, new OptimizerConfig(optimizer));
        var (x, y) = Data(10);
        using var _x = x;
        using var _y = y;
        void Micro() { using var loss = kernel.Step(() => nn.functional.cross_entropy(model.call(x), y)); }

        Micro();
        kernel.AccumulateGradBatches = 3; // as Lightning's GradientAccumulationScheduler sets trainer.accumulate_grad_batches
        Micro();
        Micro();
        var pending = Assert.Throws<InvalidOperationException>(() => kernel.AccumulateGradBatches = 1);
        Assert.Contains("step boundary", pending.Message);
        Micro();

        Assert.Equal(2, kernel.GlobalStep); // 1 step, then 3 micro-batches for the second
        Assert.Equal(3, kernel.AccumulateGradBatches);
        Assert.Equal(1, kernel.StateDict().Value<int>("accumulate_grad_batches"));
        Assert.Throws<ArgumentOutOfRangeException>(() => kernel.AccumulateGradBatches = 0);
    }

    [Fact]
    public void Step_ReturnsTheUndividedDetachedLoss()
    {
        using var model = SeededLinear();
        using var optimizer = optim.SGD(model.parameters(), 0.1);
        var kernel = new StepKernel(model, new OptimizerConfig(optimizer), new StepOptions { AccumulateGradBatches = 4 });
        var (x, y) = Data(8);
        using var _x = x;
        using var _y = y;
        float expected;
        using (no_grad()) using (var reference = nn.functional.cross_entropy(model.call(x), y)) expected = reference.item<float>();

        using var loss = kernel.Step(() => nn.functional.cross_entropy(model.call(x), y));

        Assert.False(loss.requires_grad);
        Assert.Equal(expected, loss.item<float>(), 6);
    }

    /// <summary>A bias-free 3-input model whose loss 2·(w·[3, 4, 0]) has the gradient [6, 8, 0] (norm 10).</summary>
    static (Linear Model, Tensor WeightBefore, Func<Tensor> Forward) GradientTen()
    {
        var model = nn.Linear(3, 1, hasBias: false);
        using (no_grad()) model.weight!.copy_(tensor(new float[] { 0.5f, -0.25f, 1f }).reshape(1, 3));
        var input = tensor(new float[] { 3, 4, 0 }).reshape(1, 3);
        return (model, model.weight!.detach().clone(), () => model.call(input).sum() * 2);
    }

    [Fact]
    public void ClipByNorm_ScalesTheGradientToTheClipNormBeforeTheStep()
    {
        var (model, before, forward) = GradientTen();
        using var _m = model;
        using var _b = before;
        using var optimizer = optim.SGD(model.parameters(), 1.0);
        var kernel = new StepKernel(model, new OptimizerConfig(optimizer), new StepOptions { GradientClipValue = 1.0 });

        using var loss = kernel.Step(forward);

        // SGD with lr 1: the weight moves by exactly minus the (clipped) gradient.
        using var change = (before - model.weight!.detach()).reshape(3);
        var delta = change.data<float>().ToArray();
        Assert.Equal(0.6, delta[0], 1e-5);
        Assert.Equal(0.8, delta[1], 1e-5);
        Assert.Equal(0.0, delta[2], 1e-7);
        Assert.True(change.norm().item<float>() <= 1.0f + 1e-6f);
    }

    [Fact]
    public void ClipByNorm_LeavesASmallGradientUnchanged()
    {
        var (model, before, forward) = GradientTen();
        using var _m = model;
        using var _b = before;
        using var optimizer = optim.SGD(model.parameters(), 1.0);
        var kernel = new StepKernel(model, new OptimizerConfig(optimizer), new StepOptions { GradientClipValue = 100.0 });

        using var loss = kernel.Step(forward);

        using var change = (before - model.weight!.detach()).reshape(3);
        Assert.Equal(new[] { 6f, 8f, 0f }, change.data<float>().ToArray());
    }

    [Fact]
    public void ClipByValue_ClampsEveryGradientElement()
    {
        var (model, before, forward) = GradientTen();
        using var _m = model;
        using var _b = before;
        using var optimizer = optim.SGD(model.parameters(), 1.0);
        var kernel = new StepKernel(model, new OptimizerConfig(optimizer),
            new StepOptions { GradientClipValue = 0.5, GradientClipAlgorithm = GradientClipAlgorithm.Value });

        using var loss = kernel.Step(forward);

        using var change = (before - model.weight!.detach()).reshape(3);
        Assert.Equal(new[] { 0.5f, 0.5f, 0f }, change.data<float>().ToArray());
    }

    [Fact]
    public void NoClipping_StepsWithTheFullGradient()
    {
        var (model, before, forward) = GradientTen();
        using var _m = model;
        using var _b = before;
        using var optimizer = optim.SGD(model.parameters(), 1.0);
        var kernel = new StepKernel(model, new OptimizerConfig(optimizer));

        using var loss = kernel.Step(forward);

        using var change = (before - model.weight!.detach()).reshape(3);
        Assert.Equal(new[] { 6f, 8f, 0f }, change.data<float>().ToArray());
    }

    [Fact]
    public void Gradients_AreClearedAfterEachOptimizerStep()
    {
        var (model, before, forward) = GradientTen();
        using var _m = model;
        using var _b = before;
        using var optimizer = optim.SGD(model.parameters(), 1.0);
        var kernel = new StepKernel(model, new OptimizerConfig(optimizer));

        using (kernel.Step(forward)) { }
        using (kernel.Step(forward)) { }

        // Two independent steps of [6, 8, 0]; stale gradients would make the second one larger.
        using var change = (before - model.weight!.detach()).reshape(3);
        Assert.Equal(new[] { 12f, 16f, 0f }, change.data<float>().ToArray());
    }

    [Fact]
    public void StepIntervalScheduler_StepsAfterEveryOptimizerStep()
    {
        using var model = SeededLinear();
        using var optimizer = optim.SGD(model.parameters(), 1.0);
        var scheduler = optim.lr_scheduler.StepLR(optimizer, 1, 0.5);
        var kernel = new StepKernel(model, new OptimizerConfig(optimizer, scheduler, SchedulerInterval.Step), new StepOptions { AccumulateGradBatches = 2 });
        var (x, y) = Data(4);
        using var _x = x;
        using var _y = y;

        for (int i = 0; i < 6; i++) using (kernel.Step(() => nn.functional.cross_entropy(model.call(x), y))) { }
        Assert.Equal(0.125, LearningRate(optimizer), 12);

        kernel.EpochEnd(0);
        Assert.Equal(0.125, LearningRate(optimizer), 12);
    }

    [Fact]
    public void StepIntervalScheduler_WithFrequency_StepsEveryNthOptimizerStep()
    {
        using var model = SeededLinear();
        using var optimizer = optim.SGD(model.parameters(), 1.0);
        var scheduler = optim.lr_scheduler.StepLR(optimizer, 1, 0.5);
        var kernel = new StepKernel(model, new OptimizerConfig(optimizer, scheduler, SchedulerInterval.Step, Frequency: 2));
        var (x, y) = Data(4);
        using var _x = x;
        using var _y = y;

        for (int i = 0; i < 5; i++) using (kernel.Step(() => nn.functional.cross_entropy(model.call(x), y))) { }

        Assert.Equal(0.25, LearningRate(optimizer), 12);
    }

    [Fact]
    public void EpochIntervalScheduler_StepsOnlyOnEpochEnd()
    {
        using var model = SeededLinear();
        using var optimizer = optim.SGD(model.parameters(), 1.0);
        var scheduler = optim.lr_scheduler.StepLR(optimizer, 1, 0.5);
        var kernel = new StepKernel(model, new OptimizerConfig(optimizer, scheduler, SchedulerInterval.Epoch));
        var (x, y) = Data(4);
        using var _x = x;
        using var _y = y;

        for (int i = 0; i < 5; i++) using (kernel.Step(() => nn.functional.cross_entropy(model.call(x), y))) { }
        Assert.Equal(1.0, LearningRate(optimizer), 12);

        kernel.EpochEnd(0);
        Assert.Equal(0.5, LearningRate(optimizer), 12);
        kernel.EpochEnd(1);
        Assert.Equal(0.25, LearningRate(optimizer), 12);
    }

    [Fact]
    public void EpochIntervalScheduler_WithFrequency_StepsEveryNthEpoch()
    {
        using var model = SeededLinear();
        using var optimizer = optim.SGD(model.parameters(), 1.0);
        var scheduler = optim.lr_scheduler.StepLR(optimizer, 1, 0.5);
        var kernel = new StepKernel(model, new OptimizerConfig(optimizer, scheduler, SchedulerInterval.Epoch, Frequency: 3));

        for (int epoch = 0; epoch < 6; epoch++) kernel.EpochEnd(epoch);

        Assert.Equal(0.25, LearningRate(optimizer), 12);
    }

    [Fact]
    public void GlobalStep_CountsOptimizerStepsIncludingThePartialLastAccumulation()
    {
        using var model = SeededLinear();
        using var optimizer = optim.SGD(model.parameters(), 0.1);
        var kernel = new StepKernel(model, new OptimizerConfig(optimizer), new StepOptions { AccumulateGradBatches = 3 });
        var (x, y) = Data(4);
        using var _x = x;
        using var _y = y;
        var seen = new List<long>();

        for (int i = 0; i < 7; i++)
        {
            using var loss = kernel.Step(() => nn.functional.cross_entropy(model.call(x), y), isLastInEpoch: i == 6);
            seen.Add(kernel.GlobalStep);
        }

        Assert.Equal(new long[] { 0, 0, 1, 1, 1, 2, 3 }, seen);
    }

    [Fact]
    public void PartialAccumulationAtEpochEnd_IsSteppedAndDoesNotLeakIntoTheNextEpoch()
    {
        var (model, before, forward) = GradientTen();
        using var _m = model;
        using var _b = before;
        using var optimizer = optim.SGD(model.parameters(), 1.0);
        var kernel = new StepKernel(model, new OptimizerConfig(optimizer), new StepOptions { AccumulateGradBatches = 2 });

        using (kernel.Step(forward, isLastInEpoch: true)) { }
        // Lightning divides every micro-batch loss by the accumulation count, also in a partial group.
        using (var change = (before - model.weight!.detach()).reshape(3)) Assert.Equal(new[] { 3f, 4f, 0f }, change.data<float>().ToArray());

        using (kernel.Step(forward)) { }
        Assert.Equal(1, kernel.GlobalStep);
        using (kernel.Step(forward)) { }
        Assert.Equal(2, kernel.GlobalStep);
        using (var change = (before - model.weight!.detach()).reshape(3)) Assert.Equal(new[] { 9f, 12f, 0f }, change.data<float>().ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void AccumulationBelowOne_ThrowsNamingTheField(int accumulate)
    {
        using var model = SeededLinear();
        using var optimizer = optim.SGD(model.parameters(), 0.1);

        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new StepKernel(model, new OptimizerConfig(optimizer), new StepOptions { AccumulateGradBatches = accumulate }));
        Assert.Equal(nameof(StepOptions.AccumulateGradBatches), e.ParamName);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void InvalidClipValue_ThrowsNamingTheField(double clip)
    {
        using var model = SeededLinear();
        using var optimizer = optim.SGD(model.parameters(), 0.1);

        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new StepKernel(model, new OptimizerConfig(optimizer), new StepOptions { GradientClipValue = clip }));
        Assert.Equal(nameof(StepOptions.GradientClipValue), e.ParamName);
    }

    [Fact]
    public void SchedulerFrequencyBelowOne_ThrowsNamingTheField()
    {
        using var model = SeededLinear();
        using var optimizer = optim.SGD(model.parameters(), 0.1);

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new StepKernel(model, new OptimizerConfig(optimizer, Frequency: 0)));
        Assert.Equal(nameof(OptimizerConfig.Frequency), e.ParamName);
    }

    [Fact]
    public void NonScalarLoss_ThrowsInvalidOperation()
    {
        using var model = SeededLinear();
        using var optimizer = optim.SGD(model.parameters(), 0.1);
        var kernel = new StepKernel(model, new OptimizerConfig(optimizer));
        var (x, y) = Data(4);
        using var _x = x;
        using var _y = y;

        var e = Assert.Throws<InvalidOperationException>(() =>
            kernel.Step(() => nn.functional.cross_entropy(model.call(x), y, reduction: nn.Reduction.None)));
        Assert.Contains("[4]", e.Message);
        Assert.Equal(0, kernel.GlobalStep);
    }
}
