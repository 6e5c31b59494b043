using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Lightning;

namespace Unified.Samples.Scenarios;

/// <summary>bf16-mixed (a bf16 compute copy of each layer, fp32 master weights) beside 32-true; on CPU use bf16, not 16-mixed.</summary>
public static class MixedPrecision
{
    public static int Run(SampleOptions options)
    {
        using var data = Digits.Load();
        foreach (string precision in new[] { "32-true", "bf16-mixed" })
        {
            Seed.Everything(42);
            using var module = new LitClassifier(new DigitsMlp());
            var trainer = new Trainer(new TrainerOptions
            {
                MaxEpochs = 1, Precision = precision, MaxSteps = options.Smoke ? 8 : null, LimitValBatches = options.ValBatches, Accelerator = "cpu",
            });
            var clock = System.Diagnostics.Stopwatch.StartNew();
            trainer.Fit(module, data);
            Console.WriteLine($"{precision,-10} val_loss {trainer.CallbackMetrics["val_loss"]:F4} val_accuracy {trainer.CallbackMetrics["val_accuracy"]:F4} in {clock.Elapsed.TotalSeconds:F1} s");
        }
        return 0;
    }
}
