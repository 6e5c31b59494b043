using TorchSharp;
using Unified.Core.Data;
using Unified.Core.Metrics;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Core.Training;
using Unified.Ignite;
using Unified.Lightning;
using static TorchSharp.torch;

namespace Unified.Samples.Scenarios;

/// <summary>The hand-written <see cref="MacroF1"/> in a LightningModule's validation and attached to an Ignite evaluator, checked against the built-in F1.</summary>
public static class CustomMetric
{
    sealed class WithF1(nn.Module<Tensor, Tensor> network) : LightningModule(network)
    {
        public MacroF1 F1 { get; } = new(10);

        public override Tensor TrainingStep(Batch batch, int batchIndex) => nn.functional.cross_entropy(Forward(batch.Input), batch.Target);

        public override void OnValidationEpochStart() => F1.Reset();

        public override void ValidationStep(Batch batch, int batchIndex) => F1.Update(Forward(batch.Input), batch.Target);

        public override OptimizerConfig ConfigureOptimizers() => new(optim.Adam(Network.parameters(), 1e-3));
    }

    public static int Run(SampleOptions options)
    {
        using var data = Digits.Load();
        Seed.Everything(42);
        using var module = new WithF1(new DigitsMlp());
        new Trainer(new TrainerOptions { MaxEpochs = 1, MaxSteps = options.MaxSteps, LimitValBatches = options.ValBatches, NumSanityValSteps = 0, Accelerator = "cpu" })
            .Fit(module, data);
        double lightning = module.F1.Compute();

        using var custom = new MacroF1(10);
        using var builtIn = new F1(ClassificationTask.Multiclass(10), Average.Macro);
        var evaluator = Supervised.CreateEvaluator((nn.Module<Tensor, Tensor>)module.Network, new Dictionary<string, Metric> { ["f1"] = custom, ["builtin_f1"] = builtIn }, accelerator: "cpu");
        evaluator.Run(data.Validation!, epochLength: options.ValBatches);
        double ignite = evaluator.State.Metric("f1"), reference = evaluator.State.Metric("builtin_f1");
        Console.WriteLine($"macro F1: lightning {lightning:F6}, ignite {ignite:F6}, built-in F1 {reference:F6}");
        return Math.Abs(lightning - ignite) < 1e-6 && Math.Abs(ignite - reference) < 1e-6 ? 0 : 1;
    }
}
