using TorchSharp;
using Unified.Core.Checkpointing;
using Unified.Core.Data;
using Unified.Core.Models;
using Unified.Core.Optimization;
using Unified.Core.State;
using Unified.Core.Training;
using Unified.Testing;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

/// <summary>
/// libtorch's fused kernels (PyTorch's <c>fused=True</c>: torch/optim/adam.py <c>_fused_adam</c>, sgd.py
/// <c>_fused_sgd</c>) against TorchSharp's own optimisers on the digits MLP (784-256-10, batch 64): another evaluation
/// order, so close rather than bitwise; the state keeps PyTorch's keys and a resume is exact.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class FusedKernelTests(ITestOutputHelper output) : IDisposable
{
    const int Steps = 50;
    readonly DigitsDataModule data = new(new DigitsDataOptions { BatchSize = 64, Seed = 42 });

    public void Dispose() => data.Dispose();

    public static TheoryData<string> Optimizers => new()
    {
        "sgd", "sgd-momentum", "sgd-nesterov", "sgd-decay-dampening", "sgd-maximize", "adam", "adam-decay", "adam-maximize", "adamw",
    };

    static optim.Optimizer Create(string name, DigitsMlp model) => name switch
    {
        "sgd" => optim.SGD(model.parameters(), 0.05),
        "sgd-momentum" => optim.SGD(model.parameters(), 0.05, momentum: 0.9),
        "sgd-nesterov" => optim.SGD(model.parameters(), 0.05, momentum: 0.9, nesterov: true),
        "sgd-decay-dampening" => optim.SGD(model.parameters(), 0.05, momentum: 0.8, dampening: 0.1, weight_decay: 1e-3),
        "sgd-maximize" => optim.SGD(model.parameters(), 0.01, momentum: 0.5, maximize: true),
        "adam" => optim.Adam(model.parameters(), 1e-3),
        "adam-decay" => optim.Adam(model.parameters(), 1e-3, weight_decay: 1e-2),
        "adam-maximize" => optim.Adam(model.parameters(), 1e-4, maximize: true),
        "adamw" => optim.AdamW(model.parameters(), 1e-3, weight_decay: 0.05),
        _ => throw new ArgumentException(name),
    };

    static DigitsMlp Model()
    {
        torch.manual_seed(7);
        return new DigitsMlp();
    }

    void Train(DigitsMlp model, optim.Optimizer optimizer, Action step, int from, int to)
    {
        int index = 0;
        foreach (var batch in data.Train.Epoch(0))
        {
            using var disposeBatch = batch;
            if (index >= to) continue;
            if (index++ < from) continue;
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            nn.functional.cross_entropy(model.call(batch.Input), batch.Target).backward();
            step();
        }
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void KernelSteps_StayWithin1e6OfTorchSharpsOptimizerAfterOneStep_And1e5AfterFifty(string name)
    {
        using var reference = Model();
        using var referenceOptimizer = Create(name, reference);
        using var model = Model();
        using var optimizer = Create(name, model).WithFusedKernel();
        using var fused = FusedOptimizer.TryCreate(optimizer, out string? why) ?? throw new InvalidOperationException(why);

        var differences = new List<double>();
        foreach (var (from, to) in new[] { (0, 1), (1, Steps) })
        {
            Train(reference, referenceOptimizer, () => referenceOptimizer.step(), from, to);
            Train(model, optimizer, fused.Step, from, to);
            differences.Add(ModuleWeights.MaxAbsDifference(reference, model));
        }

        // Measured on the digits MLP: at most 1.1e-6 after 50 steps (AdamW), the gradients feeding the differences back.
        output.WriteLine($"{name}: weights differ by up to {differences[0]:E3} after 1 step, {differences[1]:E3} after {Steps}");
        Assert.True(fused.UsesKernel);
        Assert.Equal(Steps, fused.FusedSteps);
        Assert.True(differences[0] <= 1e-6, $"after one step the weights differ by up to {differences[0]:E3}");
        Assert.True(differences[1] <= 1e-5, $"after {Steps} steps the weights differ by up to {differences[1]:E3}");
        var (expected, actual) = (new OptimizerState(referenceOptimizer).StateDict(), new OptimizerState(optimizer).StateDict());
        Assert.Equal(expected.Tensors.Keys.Order(), actual.Tensors.Keys.Order());
        foreach (var (key, value) in expected.Values) Assert.Equal(value?.ToString(), actual.Values[key]?.ToString());
    }

    [Theory]
    [InlineData("adam")]
    [InlineData("adamw")]
    [InlineData("sgd-momentum")]
    public void ResumingAKernelRunFromACheckpoint_MatchesTheUninterruptedRunBitwise(string name)
    {
        using var folder = new TempDirectory();
        string path = Path.Combine(folder.Path, "mid.ckpt");
        using var reference = Model();
        using var referenceOptimizer = Create(name, reference).WithFusedKernel();
        using (var uninterrupted = FusedOptimizer.TryCreate(referenceOptimizer, out _)!)
            Train(reference, referenceOptimizer, uninterrupted.Step, 0, Steps);

        using (var first = Model())
        using (var firstOptimizer = Create(name, first).WithFusedKernel())
        using (var fused = FusedOptimizer.TryCreate(firstOptimizer, out _)!)
        {
            Train(first, firstOptimizer, fused.Step, 0, Steps / 2);
            CheckpointFile.Save(path, new Dictionary<string, IStateful> { ["model"] = new ModuleState(first), ["optimizer"] = new OptimizerState(firstOptimizer) });
        }
        using var model = Model();
        using var optimizer = Create(name, model).WithFusedKernel();
        using var resumed = FusedOptimizer.TryCreate(optimizer, out _)!;
        using (var contents = CheckpointFile.Load(path))
            contents.Restore(new Dictionary<string, IStateful> { ["model"] = new ModuleState(model), ["optimizer"] = new OptimizerState(optimizer) });
        Train(model, optimizer, resumed.Step, Steps / 2, Steps);

        Assert.Equal(Steps / 2, resumed.FusedSteps);
        Assert.True(ModuleWeights.BitwiseEqual(reference, model), $"weights differ by up to {ModuleWeights.MaxAbsDifference(reference, model):E3}");
    }

    [Fact]
    public void TheStepKernel_StepsAMarkedOptimizerWithTheKernel_AndAnUnmarkedOneWithout()
    {
        using var marked = new ClassificationModule(Model(), 1e-3) { FusedKernel = true };
        using var unmarked = new ClassificationModule(Model(), 1e-3);
        using var markedKernel = StepKernel.Create(marked, CPU);
        using var unmarkedKernel = StepKernel.Create(unmarked, CPU);

        Assert.True(markedKernel.Fused!.UsesKernel);
        Assert.False(unmarkedKernel.Fused!.UsesKernel);
    }

    [Fact]
    public void MarkingAnOptimizerThatHasNoFusedKernel_ThrowsSayingWhy()
    {
        using var model = Model();
        using var rmsprop = optim.RMSProp(model.parameters(), 1e-3);
        using var amsgrad = optim.Adam(model.parameters(), 1e-3, amsgrad: true);

        Assert.Contains("RMSProp is not Adam, AdamW or SGD", Assert.Throws<NotSupportedException>(() => rmsprop.WithFusedKernel()).Message);
        Assert.Contains("AMSGrad", Assert.Throws<NotSupportedException>(() => amsgrad.WithFusedKernel()).Message);
    }
}
