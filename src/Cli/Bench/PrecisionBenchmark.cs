using System.Diagnostics;
using Unified.Core.Accelerators;
using Unified.Core.Data;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Lightning;
using static TorchSharp.torch;

namespace Unified.Cli.Bench;

/// <summary>
/// Times one training epoch of the digits MLP and CNN in <c>32-true</c> and <c>bf16-mixed</c> through the Lightning
/// front-end, beside the hand-written fp32 loop, interleaved in one process after a warm-up round; with <c>fused</c>,
/// the front-end steps Adam with libtorch's fused kernel (<see cref="ClassificationModule.FusedKernel"/>).
/// </summary>
public static class PrecisionBenchmark
{
    static readonly string[] Loops = ["raw", "32-true", "bf16-mixed"];

    /// <summary>Measures <paramref name="rounds"/> interleaved rounds per model on <paramref name="threads"/> threads.</summary>
    public static PrecisionReport Run(int rounds, int threads, int batchSize, bool fused = false)
    {
        TorchRuntime.Initialize(new RuntimeOptions { Threads = threads });
        return new PrecisionReport(Measure("mlp", rounds, batchSize, fused), Measure("cnn", rounds, batchSize, fused), rounds, threads, batchSize, fused,
            CpuFeatures.Current.NativeBFloat16);
    }

    static PrecisionTiming Measure(string model, int rounds, int batchSize, bool fused)
    {
        using var data = new DigitsDataModule(new DigitsDataOptions { BatchSize = batchSize, Seed = 42, Layout = DigitsModels.LayoutOf(model) });
        var times = Loops.ToDictionary(loop => loop, _ => new List<double>());
        for (int round = -1; round < rounds; round++)
            foreach (string loop in Loops)
            {
                double seconds = TimeEpoch(model, loop, data.Train, fused);
                if (round >= 0) times[loop].Add(seconds);
            }
        double raw = Timings.Median(times["raw"]), fp32 = Timings.Median(times["32-true"]), bf16 = Timings.Median(times["bf16-mixed"]);
        return new PrecisionTiming(raw, fp32, bf16, fp32 / bf16);
    }

    static double TimeEpoch(string model, string loop, IBatchLoader train, bool fused)
    {
        Seed.Everything(42);
        using var module = new ClassificationModule(DigitsModels.Create(model), 1e-3) { FusedKernel = fused && loop != "raw" };
        var clock = new Stopwatch();
        if (loop == "raw")
        {
            using var optimizer = optim.Adam(module.Network.parameters(), 1e-3);
            clock.Start();
            RawLoop.TrainEpoch((nn.Module<Tensor, Tensor>)module.Network, optimizer, train, 0);
        }
        else
        {
            var trainer = new Trainer(new TrainerOptions { MaxEpochs = 1, Accelerator = "cpu", LimitValBatches = 0, EnableCheckpointing = false, EnableProgressBar = false, EnableModelSummary = false, Precision = loop });
            clock.Start();
            trainer.Fit(module, new TrainOnly(train));
        }
        return clock.Elapsed.TotalSeconds;
    }
}
