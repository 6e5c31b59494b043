using TorchSharp;
using TorchSharp.Modules;
using Unified.Core.Distributed;
using Unified.Core.Training;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

/// <summary>
/// The kernel with several optimisers (<see cref="OptimizerConfig.Many"/>): only manual steps, each on its own
/// optimiser's parameters (Lightning's core/optimizer.py <c>_validate_multiple_optimizers_support</c>; the manual
/// loop's <c>optimizer.step()</c> per optimiser, each counted in global_step), and the combinations it refuses.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class StepKernelMultipleOptimizersTests
{
    sealed class TwoLayers : nn.Module<Tensor, Tensor>
    {
        public readonly Linear First, Second;

        public TwoLayers() : base(nameof(TwoLayers))
        {
            manual_seed(3);
            (First, Second) = (nn.Linear(6, 5), nn.Linear(5, 2));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => Second.call(nn.functional.relu(First.call(x)));
    }

    static (TwoLayers Net, OptimizerConfig Configs) Build()
    {
        var net = new TwoLayers();
        return (net, OptimizerConfig.Many(new(optim.SGD(net.First.parameters(), 0.1)), new(optim.Adam(net.Second.parameters(), 0.01))));
    }

    static Tensor Loss(TwoLayers net)
    {
        using var generator = new Generator(11);
        var x = randn(8, 6, generator: generator);
        return net.call(x).pow(2).mean();
    }

    static List<Tensor> Copy(nn.Module module) => [.. module.parameters().Select(p => p.detach().clone())];

    static bool Same(List<Tensor> before, nn.Module module) => before.Zip(module.parameters()).All(p => p.First.equal(p.Second).all().item<bool>());

    [Fact]
    public void ManualOptimizerStep_StepsOnlyTheChosenOptimizersParameters_AsItsOwnStepWould()
    {
        var (net, configs) = Build();
        using var kernel = new StepKernel(net, configs);
        var (reference, referenceConfigs) = Build();

        var (first, second) = (Copy(net.First), Copy(net.Second));
        kernel.ManualStep(() =>
        {
            var loss = Loss(net);
            kernel.ManualBackward(loss);
            Assert.True(kernel.ManualOptimizerStep(optimizer: 1));
            return loss;
        }).Dispose();

        Assert.True(Same(first, net.First), "Stepping optimizer 1 changed optimizer 0's parameters.");
        Assert.False(Same(second, net.Second), "Optimizer 1 did not change its parameters.");
        Assert.Equal(1, kernel.GlobalStep);
        Assert.Null(kernel.Fused);
        Assert.Equal(2, kernel.OptimizerConfigs.Count);
        Assert.Equal(net.parameters().Count(), kernel.Parameters.Count);

        // TorchSharp's own Adam step on the same gradients gives the same weights.
        Loss(reference).backward();
        referenceConfigs.All[1].Optimizer.step();
        Assert.True(ModuleWeights.BitwiseEqual(reference, net));
    }

    [Fact]
    public void AutomaticStep_WithSeveralOptimizers_IsRefused()
    {
        var (net, configs) = Build();
        using var kernel = new StepKernel(net, configs);

        var e = Assert.Throws<InvalidOperationException>(() => kernel.Step(() => Loss(net)));

        Assert.Contains("this kernel has 2 optimizers", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, kernel.GlobalStep);
    }

    [Fact]
    public void ManualOptimizerStep_OutOfRangeIndex_NamesTheRange()
    {
        var (net, configs) = Build();
        using var kernel = new StepKernel(net, configs);

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => kernel.ManualOptimizerStep(optimizer: 2));

        Assert.Contains("pass an index from 0 to 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SixteenMixed_AndDdp_WithSeveralOptimizers_AreRefusedWithOneLine()
    {
        var (net, configs) = Build();
        var precision = Assert.Throws<NotSupportedException>(() => new StepKernel(net, configs, new StepOptions { Precision = "16-mixed" }));
        Assert.Equal("Precision '16-mixed' with 2 optimizers is not supported (one loss scale per optimizer step); use 'bf16-mixed' or '32-true'.", precision.Message);

        var (other, otherConfigs) = Build();
        using var ddp = new DistributedDataParallel(other, SingleProcessGroup.Instance);
        var sync = Assert.Throws<NotSupportedException>(() => new StepKernel(other, otherConfigs, gradients: ddp));
        Assert.StartsWith("2 optimizers with gradient synchronisation (ddp) are not supported", sync.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bf16Mixed_WithSeveralOptimizers_StepsEachOnItsFp32Masters()
    {
        var (net, configs) = Build();
        using var kernel = new StepKernel(net, configs, new StepOptions { Precision = "bf16-mixed" });
        var (first, second) = (Copy(net.First), Copy(net.Second));

        kernel.ManualStep(() =>
        {
            var loss = Loss(net);
            kernel.ManualBackward(loss);
            kernel.ManualOptimizerStep(optimizer: 0);
            return loss;
        }).Dispose();
        kernel.Finish();

        Assert.False(Same(first, net.First), "Optimizer 0 did not change its fp32 masters.");
        Assert.True(Same(second, net.Second), "Stepping optimizer 0 changed optimizer 1's parameters.");
        Assert.All(net.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
    }

    [Fact]
    public void CheckpointState_RecordsTheOptimizerCount_AndRefusesAnotherOnLoad()
    {
        var (net, configs) = Build();
        using var kernel = new StepKernel(net, configs);
        var state = kernel.StateDict();
        Assert.Equal(2, state.Value<int>("optimizer_count"));

        var single = new TwoLayers();
        using var one = new StepKernel(single, new OptimizerConfig(optim.SGD(single.parameters(), 0.1)));
        // A single optimiser's state keeps its former contents (no count), so older checkpoints and new ones agree.
        Assert.DoesNotContain("optimizer_count", one.StateDict().Values.Keys);
        var e = Assert.Throws<InvalidDataException>(() => one.LoadStateDict(state));
        Assert.Contains("trained with 2 optimizer(s), this fit configures 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LearningRateNames_PutOptimizersWithASchedulerFirst_AsLightningsLrMonitor()
    {
        // lr_monitor.py: _find_names_from_schedulers, then _find_names_from_optimizers for the rest, sharing the type count.
        var net = new TwoLayers();
        var plain = optim.Adam(net.First.parameters(), 0.1);
        var scheduled = optim.Adam(net.Second.parameters(), 0.2);
        var configs = OptimizerConfig.Many(new(plain), new(scheduled, optim.lr_scheduler.StepLR(scheduled, 1)));

        var names = LearningRates.Named(configs.All).ToList();

        Assert.Equal(["lr-Adam", "lr-Adam-1"], names.Select(n => n.Name));
        Assert.Same(scheduled, names[0].Config.Optimizer);
        Assert.Same(plain, names[1].Config.Optimizer);
    }
}
