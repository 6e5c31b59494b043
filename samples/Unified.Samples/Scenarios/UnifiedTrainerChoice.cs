using Unified.Adapters;
using Unified.Core.Checkpointing;
using Unified.Core.Models;
using Unified.Core.Runtime;

namespace Unified.Samples.Scenarios;

/// <summary>UnifiedTrainer runs one module through the front-end named by a string; the same seed ends with the same weights.</summary>
public static class UnifiedTrainerChoice
{
    public static int Run(SampleOptions options)
    {
        using var data = Digits.Load();
        var hashes = new Dictionary<string, string>();
        foreach (string framework in options.Value("--framework") is { } one ? [one] : Frameworks.Names)
        {
            Seed.Everything(42);
            using var module = new ClassificationModule(new DigitsMlp(), learningRate: 1e-3);
            var result = new UnifiedTrainer(framework, new UnifiedTrainerOptions { MaxEpochs = 1, MaxSteps = options.Smoke ? 8 : null, Accelerator = "cpu" }).Fit(module, data);
            hashes[framework] = WeightsHash.Sha256(module.Network);
            Console.WriteLine($"{framework,-9}: {result.Steps} steps, val_accuracy {result.FinalMetrics["val_accuracy"]:F4}, weights {hashes[framework][..16]}");
        }
        return hashes.Values.Distinct().Count() == 1 ? 0 : 1;
    }
}
