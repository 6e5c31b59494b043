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
        double ignite = evaluator.State.Metric("f1"), builtInF1 = evaluator.State.Metric("builtin_f1");
        double plain = PlainMacroF1((nn.Module<Tensor, Tensor>)module.Network, data, options.ValBatches ?? int.MaxValue);
        Console.WriteLine($"macro F1: lightning {lightning:F6}, ignite {ignite:F6}, plain loops {plain:F6}, built-in F1 {builtInF1:F6}");
        return Math.Abs(lightning - ignite) < 1e-6 && Math.Abs(ignite - plain) < 1e-6 ? 0 : 1;
    }

    // The same score by counting in plain C#, as an independent check of the tensor code.
    static double PlainMacroF1(nn.Module<Tensor, Tensor> network, IDataModule data, int batches)
    {
        var (tp, fp, fn) = (new double[10], new double[10], new double[10]);
        network.eval();
        using var noGrad = no_grad();
        foreach (var batch in data.Validation!.Epoch(0).Take(batches))
        {
            using (batch)
            {
                long[] predicted = network.call(batch.Input).argmax(1).data<long>().ToArray(), actual = batch.Target.data<long>().ToArray();
                for (int i = 0; i < predicted.Length; i++)
                {
                    if (predicted[i] == actual[i]) tp[actual[i]]++;
                    else { fp[predicted[i]]++; fn[actual[i]]++; }
                }
            }
        }
        return Enumerable.Range(0, 10).Average(c => 2 * tp[c] + fp[c] + fn[c] == 0 ? 0 : 2 * tp[c] / (2 * tp[c] + fp[c] + fn[c]));
    }
}
