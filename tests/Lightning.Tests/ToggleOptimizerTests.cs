using TorchSharp.Modules;
using Unified.Core.Data;
using Unified.Core.Training;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Lightning.Tests;

/// <summary>
/// ToggleOptimizer / UntoggleOptimizer / ToggledOptimizer as Lightning's core/module.py toggle_optimizer,
/// untoggle_optimizer and toggled_optimizer, after tests/tests_pytorch/core/test_lightning_module.py
/// test_toggle_untoggle_2_optimizers_no_shared_parameters: while an optimiser is toggled only its parameters require
/// gradients, weights the module froze stay frozen, and untoggling gives every parameter its setting back.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class ToggleOptimizerTests
{
    sealed class TwoNets : nn.Module<Tensor, Tensor>
    {
        public readonly Sequential First, Second;

        public TwoNets() : base(nameof(TwoNets))
        {
            manual_seed(5);
            First = nn.Sequential(nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 32));
            Second = nn.Sequential(nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 10));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => Second.call(First.call(x));
    }

    sealed class Toggling : LightningModule
    {
        public Toggling(bool contextManager) : base(new TwoNets())
        {
            AutomaticOptimization = false;
            ContextManager = contextManager;
            // Weights frozen by the module, as in Lightning's test.
            foreach (var (net, index) in new[] { (Nets.First, 2), (Nets.First, 4), (Nets.Second, 1), (Nets.Second, 3) })
                Weight(net, index).requires_grad = false;
        }

        bool ContextManager { get; }

        public TwoNets Nets => (TwoNets)Network;

        public List<string> Seen { get; } = [];

        static Parameter Weight(Sequential net, int index) => ((Linear)net[index]).weight!;

        string State() => string.Concat(new[] { (Nets.First, 0), (Nets.First, 2), (Nets.First, 4), (Nets.Second, 1), (Nets.Second, 3), (Nets.Second, 5) }
            .Select(w => Weight(w.Item1, w.Item2).requires_grad ? "1" : "0"));

        public override Tensor TrainingStep(Batch batch, int batchIndex)
        {
            Tensor last = null!;
            foreach (var opt in OptimizerList())
            {
                using (ContextManager ? ToggledOptimizer(opt) : null)
                {
                    if (!ContextManager) ToggleOptimizer(opt);
                    last = nn.functional.cross_entropy(((TwoNets)Network).call(batch.Input), batch.Target);
                    opt.ZeroGrad();
                    ManualBackward(last);
                    Seen.Add($"{opt.Index}:{State()}");
                    opt.Step();
                    if (!ContextManager) UntoggleOptimizer(opt);
                }
                Seen.Add($"after {opt.Index}:{State()}");
            }
            return last;
        }

        public override OptimizerConfig ConfigureOptimizers() =>
            OptimizerConfig.Many(new(optim.SGD(Nets.First.parameters(), 0.1)), new(optim.Adam(Nets.Second.parameters(), 0.1)));
    }

    [Theory]
    [InlineData(false, "32-true")]
    [InlineData(true, "32-true")]
    [InlineData(false, "bf16-mixed")]
    public void ToggledOptimizer_LeavesOnlyItsOwnUnfrozenParametersRequiringGradients_AndUntoggleRestoresThem(bool contextManager, string precision)
    {
        using var data = new SliceDataModule(trainCount: 64, validationCount: 0, batchSize: 32);
        using var module = new Toggling(contextManager);
        var trainer = new Trainer(new TrainerOptions
        {
            MaxEpochs = 1, Seed = 42, Accelerator = "cpu", Precision = precision,
            EnableCheckpointing = false, EnableProgressBar = false, EnableModelSummary = false,
        });

        trainer.Fit(module, data);

        // First's weights 0, 2, 4 then Second's 1, 3, 5: 2, 4 of First and 1, 3 of Second are frozen by the module.
        Assert.Equal(["0:100000", "after 0:100001", "1:000001", "after 1:100001", "0:100000", "after 0:100001", "1:000001", "after 1:100001"], module.Seen);
    }

    [Fact]
    public void UntoggleOptimizer_OfAnotherOptimizer_OrTogglingTwice_IsRefused()
    {
        using var data = new SliceDataModule(trainCount: 32, validationCount: 0, batchSize: 32);
        using var module = new Refusing();
        new Trainer(new TrainerOptions { MaxEpochs = 1, Accelerator = "cpu", EnableCheckpointing = false, EnableProgressBar = false, EnableModelSummary = false })
            .Fit(module, data);

        Assert.Equal(["Optimizer 0 is toggled; call UntoggleOptimizer on it before toggling another.", "Optimizer 1 is not toggled; call ToggleOptimizer on it first."], module.Errors);
    }

    sealed class Refusing : LightningModule
    {
        public Refusing() : base(new TwoNets()) => AutomaticOptimization = false;

        public List<string> Errors { get; } = [];

        public override Tensor TrainingStep(Batch batch, int batchIndex)
        {
            var (first, second) = (Optimizers(0), Optimizers(1));
            ToggleOptimizer(first);
            Errors.Add(Assert.Throws<InvalidOperationException>(() => ToggleOptimizer(second)).Message);
            Errors.Add(Assert.Throws<InvalidOperationException>(() => UntoggleOptimizer(second)).Message);
            UntoggleOptimizer(first);
            return nn.functional.cross_entropy(((TwoNets)Network).call(batch.Input), batch.Target);
        }

        public override OptimizerConfig ConfigureOptimizers() =>
            OptimizerConfig.Many(new(optim.SGD(((TwoNets)Network).First.parameters(), 0.1)), new(optim.SGD(((TwoNets)Network).Second.parameters(), 0.1)));
    }
}
