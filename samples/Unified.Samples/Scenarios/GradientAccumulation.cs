using TorchSharp;
using Unified.Core.Checkpointing;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Ignite;
using Unified.Lightning;
using static TorchSharp.torch;

namespace Unified.Samples.Scenarios;

/// <summary>Gradient accumulation over 4 micro-batches: Lightning's AccumulateGradBatches and Ignite's GradientAccumulationSteps take the same steps.</summary>
public static class GradientAccumulation
{
    public static int Run(SampleOptions options)
    {
        using var data = Digits.Load();
        int batches = options.Smoke ? 16 : 125; // micro-batches: 4 optimiser steps in smoke mode

        Seed.Everything(42);
        using var module = new LitClassifier(new DigitsMlp());
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 1, AccumulateGradBatches = 4, LimitTrainBatches = batches, LimitValBatches = 0, Accelerator = "cpu" });
        trainer.Fit(module, data);
        string lightning = WeightsHash.Sha256(module.Network);

        Seed.Everything(42);
        using var model = new DigitsMlp();
        var engine = Supervised.CreateTrainer(model, optim.Adam(model.parameters(), 1e-3), (logits, y) => nn.functional.cross_entropy(logits, y),
            new SupervisedTrainerOptions { Accelerator = "cpu", GradientAccumulationSteps = 4 });
        engine.Run(data.Train, maxEpochs: 1, epochLength: batches);
        string ignite = WeightsHash.Sha256(model);

        Console.WriteLine($"lightning: {trainer.GlobalStep} optimiser steps over {batches} micro-batches, weights {lightning[..16]}");
        Console.WriteLine($"ignite:    the same micro-batches, weights {ignite[..16]} ({(lightning == ignite ? "identical" : "DIFFERENT")})");
        return lightning == ignite ? 0 : 1;
    }
}
