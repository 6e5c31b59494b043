using TorchSharp;
using Unified.Core.Checkpointing;
using Unified.Core.Data;
using Unified.Core.Models;
using Unified.Core.Optimization;
using Unified.Core.State;
using Unified.Core.Training;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

/// <summary>
/// The fused step against TorchSharp's own optimisers on the digits MLP (784-256-10, batch 64): the same op sequence
/// over flat buffers must give bitwise-identical weights and state after 50 steps, and checkpoints keep PyTorch's state
/// keys (torch/optim/adam.py and sgd.py name them exp_avg, exp_avg_sq, step, momentum_buffer).
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class FusedOptimizerTests : IDisposable
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

    // The hand-written loop: zero_grad, forward, cross-entropy, backward, then the step under test.
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

    static void AssertStatesEqual(optim.Optimizer expected, optim.Optimizer actual)
    {
        var e = new OptimizerState(expected).StateDict();
        var a = new OptimizerState(actual).StateDict();
        Assert.Equal(e.Tensors.Keys.Order(), a.Tensors.Keys.Order());
        foreach (var (key, tensor) in e.Tensors) Assert.True(TensorBits.Equal(tensor, a.Tensors[key]), $"state {key} differs");
        foreach (var (key, value) in e.Values) Assert.Equal(value?.ToString(), a.Values[key]?.ToString());
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void FiftyFusedSteps_MatchTorchSharpsOptimizerBitwise(string name)
    {
        using var reference = Model();
        using var referenceOptimizer = Create(name, reference);
        Train(reference, referenceOptimizer, () => referenceOptimizer.step(), 0, Steps);

        using var model = Model();
        using var optimizer = Create(name, model);
        using var fused = FusedOptimizer.TryCreate(optimizer, out string? why) ?? throw new InvalidOperationException(why);
        Train(model, optimizer, fused.Step, 0, Steps);

        Assert.Equal(Steps, fused.FusedSteps);
        Assert.True(ModuleWeights.BitwiseEqual(reference, model), $"weights differ by up to {ModuleWeights.MaxAbsDifference(reference, model):E3}");
        AssertStatesEqual(referenceOptimizer, optimizer);
    }

    [Theory]
    [InlineData("adam", "exp_avg", "exp_avg_sq", "step")]
    [InlineData("adamw", "exp_avg", "exp_avg_sq", "step")]
    [InlineData("sgd-momentum", "momentum_buffer")]
    public void ResumingFromACheckpointMidRun_MatchesTheUninterruptedRunBitwise(string name, params string[] stateKeys)
    {
        using var folder = new TempDirectory();
        string path = Path.Combine(folder.Path, "mid.ckpt");
        using var reference = Model();
        using var referenceOptimizer = Create(name, reference);
        Train(reference, referenceOptimizer, () => referenceOptimizer.step(), 0, Steps);

        using (var first = Model())
        using (var firstOptimizer = Create(name, first))
        using (var fused = FusedOptimizer.TryCreate(firstOptimizer, out _)!)
        {
            Train(first, firstOptimizer, fused.Step, 0, Steps / 2);
            CheckpointFile.Save(path, new Dictionary<string, IStateful> { ["model"] = new ModuleState(first), ["optimizer"] = new OptimizerState(firstOptimizer) });
        }

        using var model = Model();
        using var optimizer = Create(name, model);
        using var resumed = FusedOptimizer.TryCreate(optimizer, out _)!;
        using (var contents = CheckpointFile.Load(path))
        {
            // PyTorch's per-parameter keys, for each of the MLP's 4 parameters.
            var saved = contents.Part("optimizer");
            foreach (string key in stateKeys)
                for (int i = 0; i < 4; i++)
                    Assert.True(saved.Tensors.ContainsKey($"state.{i}.{key}") || saved.Values.ContainsKey($"state.{i}.{key}"), $"state.{i}.{key} missing");
            contents.Restore(new Dictionary<string, IStateful> { ["model"] = new ModuleState(model), ["optimizer"] = new OptimizerState(optimizer) });
        }
        Train(model, optimizer, resumed.Step, Steps / 2, Steps);

        Assert.Equal(Steps / 2, resumed.FusedSteps);
        Assert.True(ModuleWeights.BitwiseEqual(reference, model), $"weights differ by up to {ModuleWeights.MaxAbsDifference(reference, model):E3}");
        AssertStatesEqual(referenceOptimizer, optimizer);
    }

    [Fact]
    public void AStepWithAParameterWithoutGradient_RunsTheOptimizersOwnStepOnTheSameState()
    {
        using var reference = Model();
        using var referenceOptimizer = Create("sgd-momentum", reference);
        using var model = Model();
        using var optimizer = Create("sgd-momentum", model);
        using var fused = FusedOptimizer.TryCreate(optimizer, out _)!;
        // Only the last bias gets gradients at first (TorchSharp skips parameters whose grad is null), then the whole
        // network: the third step still falls back, since only one parameter has a momentum buffer yet.
        foreach (var (m, step) in new (DigitsMlp, Action)[] { (reference, () => referenceOptimizer.step()), (model, fused.Step) })
        {
            var batches = data.Train.Epoch(0).Take(6).ToList();
            for (int i = 0; i < batches.Count; i++)
            {
                using var scope = NewDisposeScope();
                if (i < 2) m.parameters().Last().sum().backward();
                else nn.functional.cross_entropy(m.call(batches[i].Input), batches[i].Target).backward();
                step();
                foreach (var p in m.parameters())
                {
                    using var g = p.grad;
                    g?.zero_();
                }
            }
            foreach (var b in batches) b.Dispose();
        }

        Assert.Equal(3, fused.FallbackSteps);
        Assert.Equal(3, fused.FusedSteps);
        Assert.True(ModuleWeights.BitwiseEqual(reference, model), $"weights differ by up to {ModuleWeights.MaxAbsDifference(reference, model):E3}");
        AssertStatesEqual(referenceOptimizer, optimizer);
    }

    [Fact]
    public void AmsgradAndOtherOptimizers_AreNotFused_SayingWhy()
    {
        using var model = Model();
        using var amsgrad = optim.Adam(model.parameters(), 1e-3, amsgrad: true);
        using var rmsprop = optim.RMSProp(model.parameters(), 1e-3);

        Assert.Null(FusedOptimizer.TryCreate(amsgrad, out string? amsgradWhy));
        Assert.Contains("AMSGrad", amsgradWhy);
        Assert.Null(FusedOptimizer.TryCreate(rmsprop, out string? rmspropWhy));
        Assert.Contains("RMSProp", rmspropWhy);
    }

    [Fact]
    public void TheStepKernel_FusesAdamByDefault_AndNotWhenSwitchedOff()
    {
        using var model = Model();
        using var module = new ClassificationModule(model, 1e-3);
        using var kernel = StepKernel.Create(module, CPU);
        using var other = Model();
        using var otherModule = new ClassificationModule(other, 1e-3);
        using var plain = StepKernel.Create(otherModule, CPU, new StepOptions { FusedOptimizer = false });

        Assert.NotNull(kernel.Fused);
        Assert.Null(plain.Fused);
    }
}
