using System.Diagnostics;
using Unified.Core.Data;
using Unified.Core.Training;
using Unified.Ignite;
using Unified.Lightning;
using static TorchSharp.torch;

namespace Unified.Cli.Bench;

/// <summary>Times one training epoch through the hand-written loop (<c>raw</c>), the Lightning or the Ignite front-end.</summary>
static class EpochTimer
{
    /// <summary>The loops, in the order the benchmarks interleave them.</summary>
    public static readonly string[] Loops = ["raw", "lightning", "ignite"];

    /// <summary>
    /// Seeds, builds <paramref name="create"/>'s module and optimiser, and times one epoch of <paramref name="train"/>
    /// through <paramref name="loop"/> (the clock starts after construction). The raw loop uses the same optimiser object.
    /// </summary>
    public static double Time(string loop, Func<(TrainingModule Module, nn.Module<Tensor, Tensor> Network, optim.Optimizer Optimizer)> create,
        IBatchLoader train, Func<Tensor, Tensor, Tensor>? lossFunction = null)
    {
        Core.Runtime.Seed.Everything(42);
        var (module, network, optimizer) = create();
        using var disposeModule = module;
        using var disposeOptimizer = optimizer;
        var clock = new Stopwatch();
        switch (loop)
        {
            case "raw":
                clock.Start();
                RawLoop.TrainEpoch(network, optimizer, train, 0, lossFunction);
                break;
            case "lightning":
                // A LightningModule: the trainer dispatches its full hook set (none overridden) and Lightning's Log.
                // It shares the seeded network and the optimiser, which `module` and this method dispose.
                var lightning = new BenchLightningModule(network, optimizer, lossFunction ?? ((output, target) => nn.functional.cross_entropy(output, target)));
                var trainer = new Trainer(BenchTrainerOptions());
                clock.Start();
                trainer.Fit(lightning, new TrainOnly(train));
                lightning.Logged.Dispose();
                break;
            case "ignite":
                var engine = Supervised.CreateTrainer(module, new SupervisedTrainerOptions { Accelerator = "cpu" });
                clock.Start();
                engine.Run(train, maxEpochs: 1);
                break;
            default:
                throw new ArgumentException($"Unknown loop '{loop}'; one of {string.Join(", ", Loops)}.", nameof(loop));
        }
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Times <paramref name="rounds"/> interleaved rounds of every loop (raw, lightning, ignite, raw, …) after
    /// <paramref name="warmups"/> untimed rounds; returns each loop's median seconds.
    /// </summary>
    public static IReadOnlyDictionary<string, double> Interleaved(int rounds, int warmups, Func<string, double> timeOne)
    {
        var times = Loops.ToDictionary(loop => loop, _ => new List<double>());
        for (int round = -warmups; round < rounds; round++)
            foreach (string loop in Loops)
            {
                double seconds = timeOne(loop);
                if (round >= 0) times[loop].Add(seconds);
            }
        return times.ToDictionary(kv => kv.Key, kv => Timings.Median(kv.Value));
    }

    /// <summary>One epoch, no validation, and none of the default callbacks' output or files: what the benchmarks time.</summary>
    public static TrainerOptions BenchTrainerOptions() => new()
    {
        MaxEpochs = 1, Accelerator = "cpu", LimitValBatches = 0, EnableCheckpointing = false, EnableProgressBar = false, EnableModelSummary = false,
    };
}
