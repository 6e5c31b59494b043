using Unified.Core.Data;
using Unified.Core.Models;
using Unified.Core.Training;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Ignite.Tests;

/// <summary>
/// Ignite's <c>supervised_training_step</c> (ignite/engine/__init__.py) takes one optimizer and calls its
/// <c>step()</c> once per iteration; a module that returns several from <c>ConfigureOptimizers</c> is refused.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class SupervisedSeveralOptimizersTests
{
    sealed class TwoOptimizers() : TrainingModule(new DigitsMlp())
    {
        public override Tensor TrainingStep(Batch batch, int batchIndex) =>
            nn.functional.cross_entropy(((nn.Module<Tensor, Tensor>)Network).call(batch.Input), batch.Target);

        public override OptimizerConfig ConfigureOptimizers()
        {
            var parameters = Network.parameters().ToList();
            return OptimizerConfig.Many(new(optim.SGD(parameters.Take(2), 0.1)), new(optim.SGD(parameters.Skip(2), 0.1)));
        }
    }

    [Fact]
    public void CreateTrainer_WithAModuleOfTwoOptimizers_SaysToReturnOne()
    {
        using var module = new TwoOptimizers();

        var e = Assert.Throws<NotSupportedException>(() => Supervised.CreateTrainer(module, new SupervisedTrainerOptions { Accelerator = "cpu" }));

        Assert.StartsWith("TwoOptimizers.ConfigureOptimizers returned 2 optimizers; a supervised trainer takes one step per iteration", e.Message, StringComparison.Ordinal);
    }
}
