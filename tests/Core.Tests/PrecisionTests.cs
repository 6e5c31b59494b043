using TorchSharp;
using TorchSharp.Modules;
using Unified.Core.Diagnostics;
using Unified.Core.Numerics;
using Unified.Core.Training;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

/// <summary>Precision plugins through the step kernel: dtypes, master weights, accuracy against fp32, bad input.</summary>
[Collection(TorchCollection.Name)]
public sealed class PrecisionTests
{
    const int Features = 16, Classes = 4;

    static Sequential Network(long seed = 3)
    {
        torch.manual_seed(seed);
        return nn.Sequential(nn.Linear(Features, 32), nn.ReLU(), nn.Linear(32, Classes));
    }

    static (Tensor X, Tensor Y) Data(int samples)
    {
        using var generator = new Generator(99);
        return (randn(samples, Features, generator: generator), randint(Classes, samples, generator: generator));
    }

    static StepKernel Kernel(nn.Module network, optim.Optimizer optimizer, string precision, int accumulate = 1, double? clip = null) =>
        new(network, new OptimizerConfig(optimizer), new StepOptions { Precision = precision, AccumulateGradBatches = accumulate, GradientClipValue = clip });

    static void Train(StepKernel kernel, Sequential network, Tensor x, Tensor y, int steps, int batch)
    {
        for (int i = 0; i < steps; i++)
        {
            int start = i * batch % (int)x.shape[0];
            using var loss = kernel.Step(() => nn.functional.cross_entropy(network.call(x.narrow(0, start, batch)), y.narrow(0, start, batch)));
        }
    }

    [Theory]
    [InlineData("bf16-mixed", ScalarType.BFloat16)]
    [InlineData("16-mixed", ScalarType.Float16)]
    public void MixedPrecision_RunsTheNetworkInLowPrecision_WhileTheOptimiserKeepsFloat32Masters(string precision, ScalarType compute)
    {
        using var network = Network();
        var masters = network.parameters().ToList();
        using var optimizer = optim.SGD(network.parameters(), 0.1);
        using var kernel = Kernel(network, optimizer, precision);
        var (x, y) = Data(64);
        using var _x = x;
        using var _y = y;
        ScalarType? seen = null, logits = null;

        using (kernel.Step(() =>
        {
            seen = network.parameters().First().dtype;
            var output = network.call(x);
            logits = output.dtype;
            return nn.functional.cross_entropy(output, y);
        })) { }

        Assert.Equal(compute, seen);
        Assert.Equal(ScalarType.Float32, logits); // the loss is computed in fp32
        Assert.All(kernel.Parameters, p => Assert.Equal(ScalarType.Float32, p.dtype));
        Assert.Equal(masters.Select(p => p.Handle), kernel.Parameters.Select(p => p.Handle));
        kernel.Finish();
        Assert.Equal(masters.Select(p => p.Handle), network.parameters().Select(p => p.Handle));
        Assert.All(network.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
    }

    [Fact]
    public void BfloatMixed_StaysCloseToFloat32Training()
    {
        var (x, y) = Data(640);
        using var _x = x;
        using var _y = y;
        using var full = Network();
        using var fullOptimizer = optim.Adam(full.parameters(), 1e-3);
        using (var kernel = Kernel(full, fullOptimizer, "32-true")) Train(kernel, full, x, y, steps: 40, batch: 32);
        using var mixed = Network();
        using var mixedOptimizer = optim.Adam(mixed.parameters(), 1e-3);
        using (var kernel = Kernel(mixed, mixedOptimizer, "bf16-mixed")) Train(kernel, mixed, x, y, steps: 40, batch: 32);
        using var initial = Network();

        double moved = ModuleWeights.MaxAbsDifference(initial, full), difference = ModuleWeights.MaxAbsDifference(mixed, full);
        Assert.True(moved > 1e-2, $"The weights barely moved ({moved:E3}).");
        Assert.True(difference < 0.1 * moved, $"bf16-mixed drifted {difference:E3} from fp32 (which moved {moved:E3}).");
        Assert.False(ModuleWeights.BitwiseEqual(mixed, full), "bf16-mixed gave fp32's exact weights: the forward did not run in bf16.");
    }

    [Fact]
    public void BfloatMixed_AccumulatingMicroBatches_MatchesTheLargeBatchInFloat32Masters()
    {
        var (x, y) = Data(640);
        using var _x = x;
        using var _y = y;
        using var accumulated = Network();
        using var accumulatedOptimizer = optim.SGD(accumulated.parameters(), 0.1);
        using (var kernel = Kernel(accumulated, accumulatedOptimizer, "bf16-mixed", accumulate: 4)) Train(kernel, accumulated, x, y, steps: 80, batch: 8);
        using var large = Network();
        using var largeOptimizer = optim.SGD(large.parameters(), 0.1);
        using (var kernel = Kernel(large, largeOptimizer, "bf16-mixed")) Train(kernel, large, x, y, steps: 20, batch: 32);

        // Per-micro-batch bf16 rounding differs from the large batch's, so equality holds to bf16 resolution only.
        double difference = ModuleWeights.MaxAbsDifference(accumulated, large);
        Assert.True(difference < 5e-3, $"Accumulated and large-batch weights differ by {difference:E3}.");
    }

    [Fact]
    public void SixteenMixed_ClipsAfterUnscaling()
    {
        // Clipping scaled gradients (65536x too large) would shrink every update by that factor.
        var (x, y) = Data(64);
        using var _x = x;
        using var _y = y;
        using var full = Network();
        using var fullOptimizer = optim.SGD(full.parameters(), 0.5);
        using (var kernel = Kernel(full, fullOptimizer, "32-true", clip: 0.01)) Train(kernel, full, x, y, steps: 3, batch: 64);
        using var mixed = Network();
        using var mixedOptimizer = optim.SGD(mixed.parameters(), 0.5);
        using (var kernel = Kernel(mixed, mixedOptimizer, "16-mixed", clip: 0.01)) Train(kernel, mixed, x, y, steps: 3, batch: 64);
        using var initial = Network();

        double moved = ModuleWeights.MaxAbsDifference(initial, full), difference = ModuleWeights.MaxAbsDifference(mixed, full);
        Assert.True(difference < 0.05 * moved, $"16-mixed moved the weights differently ({difference:E3}) from fp32 ({moved:E3}).");
    }

    [Fact]
    public void MixedPrecision_KeepsNormalisationLayersInFloat32()
    {
        torch.manual_seed(1);
        using var network = nn.Sequential(nn.Linear(Features, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, Classes));
        using var optimizer = optim.SGD(network.parameters(), 0.1);
        using var kernel = Kernel(network, optimizer, "bf16-mixed");
        var (x, y) = Data(32);
        using var _x = x;
        using var _y = y;
        var types = new Dictionary<string, ScalarType>();

        using (kernel.Step(() =>
        {
            foreach (var (name, p) in network.named_parameters()) types[name] = p.dtype;
            return nn.functional.cross_entropy(network.call(x), y);
        })) { }

        Assert.Equal(ScalarType.BFloat16, types["0.weight"]);
        Assert.Equal(ScalarType.Float32, types["1.weight"]);
        Assert.Equal(ScalarType.Float32, types["1.bias"]);
        Assert.Equal(ScalarType.BFloat16, types["3.weight"]);
    }

    [Fact]
    public void BfloatTrue_ConvertsTheNetworkBeforeTheOptimiserIsCreated()
    {
        using var network = Network();
        var module = new LateOptimizerModule(network);
        using var kernel = StepKernel.Create(module, CPU, new StepOptions { Precision = "bf16-true" });
        var (x, y) = Data(32);
        using var _x = x;
        using var _y = y;

        using var loss = kernel.Step(() => nn.functional.cross_entropy(network.call(x), y));

        Assert.All(network.parameters(), p => Assert.Equal(ScalarType.BFloat16, p.dtype));
        Assert.All(kernel.Parameters, p => Assert.Equal(ScalarType.BFloat16, p.dtype));
        Assert.Equal(ScalarType.BFloat16, loss.dtype);
    }

    [Fact]
    public void TruePrecision_WithAnOptimiserOverFloat32Parameters_NamesTheFix()
    {
        using var network = Network();
        using var optimizer = optim.SGD(network.parameters(), 0.1);

        var e = Assert.Throws<InvalidOperationException>(() => Kernel(network, optimizer, "bf16-true"));
        Assert.Contains("StepKernel.Create", e.Message);
    }

    [Fact]
    public void MixedPrecision_WithDdpOverlappingBackward_IsRefusedNamingTheFix()
    {
        using var network = Network();
        using var optimizer = optim.SGD(network.parameters(), 0.1);
        using var ddp = new Distributed.DistributedDataParallel(network, Distributed.SingleProcessGroup.Instance,
            new Distributed.DdpOptions { OverlapWithBackward = true });

        var e = Assert.Throws<NotSupportedException>(() =>
            new StepKernel(network, new OptimizerConfig(optimizer), new StepOptions { Precision = "bf16-mixed" }, ddp));
        Assert.Contains("OverlapWithBackward", e.Message);
    }

    [Fact]
    public void UnknownPrecision_ListsTheValidNames()
    {
        var e = Assert.Throws<ArgumentException>(() => new StepOptions { Precision = "fp8" }.Validate());
        Assert.Contains("fp8", e.Message);
        foreach (var name in PrecisionPlugins.Names) Assert.Contains(name, e.Message);
    }

    [Fact]
    public void SixteenMixedOnCpu_Warns()
    {
        var warnings = new List<string>();
        var sink = Warnings.Sink;
        Warnings.Sink = warnings.Add;
        try { using var plugin = PrecisionPlugins.Create("16-mixed", CPU); }
        finally { Warnings.Sink = sink; }

        Assert.Contains(warnings, w => w.Contains("'16-mixed'") && w.Contains("SLOWER"));
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void NonFiniteLoss_InFloat32_ThrowsNamingTheStep(double poison)
    {
        using var network = Network();
        using var optimizer = optim.SGD(network.parameters(), 0.1);
        using var kernel = Kernel(network, optimizer, "32-true");
        var (x, y) = Data(32);
        using var _x = x;
        using var _y = y;
        for (int i = 0; i < 3; i++) using (kernel.Step(() => nn.functional.cross_entropy(network.call(x), y))) { }

        var e = Assert.Throws<NonFiniteLossException>(() => kernel.Step(() => nn.functional.cross_entropy(network.call(x), y) * poison));
        Assert.Equal(3, e.GlobalStep);
        Assert.Contains("step 3", e.Message);
    }

    [Fact]
    public void NonFiniteLoss_WhenSkipping_LeavesTheWeightsAndCountsTheSkip()
    {
        using var network = Network();
        using var optimizer = optim.Adam(network.parameters(), 0.1);
        using var kernel = new StepKernel(network, new OptimizerConfig(optimizer), new StepOptions { SkipNonFiniteLoss = true });
        var (x, y) = Data(32);
        using var _x = x;
        using var _y = y;
        using (kernel.Step(() => nn.functional.cross_entropy(network.call(x), y))) { }
        var before = network.parameters().Select(p => p.detach().clone()).ToList();

        using (kernel.Step(() => nn.functional.cross_entropy(network.call(x), y) * double.NaN)) { }

        Assert.All(network.parameters().Zip(before), pair => Assert.True(pair.First.eq(pair.Second).all().item<bool>()));
        before.ForEach(t => t.Dispose());
        Assert.Equal(1, kernel.SkippedSteps);
        Assert.Equal(2, kernel.GlobalStep);
    }

    [Theory]
    [InlineData("bf16-mixed")]
    [InlineData("16-mixed")]
    public void LiveTensorCount_IsFlatAcrossSteps(string precision)
    {
        using var network = Network();
        using var optimizer = optim.Adam(network.parameters(), 1e-3);
        using var kernel = Kernel(network, optimizer, precision, accumulate: 2, clip: 1.0);
        var (x, y) = Data(32);
        using var _x = x;
        using var _y = y;
        Tensor Forward() => nn.functional.cross_entropy(network.call(x), y);

        for (int i = 0; i < 6; i++) using (kernel.Step(Forward)) { }
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 40; i++) using (kernel.Step(Forward)) { }

        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    /// <summary>Creates its optimiser when asked, as a LightningModule's ConfigureOptimizers does.</summary>
    sealed class LateOptimizerModule(Sequential network) : TrainingModule(network)
    {
        public override Tensor TrainingStep(Data.Batch batch, int batchIndex) => nn.functional.cross_entropy(network.call(batch.Input), batch.Target);

        public override OptimizerConfig ConfigureOptimizers() => new(optim.SGD(network.parameters(), 0.1));
    }
}
