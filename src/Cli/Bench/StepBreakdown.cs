using System.Diagnostics;
using Unified.Core.Data;
using Unified.Core.Models;
using Unified.Core.Optimization;
using Unified.Core.Runtime;
using static TorchSharp.torch;

namespace Unified.Cli.Bench;

/// <summary>
/// Microseconds per phase of a hand-written digits-MLP step (batch 64, Adam): zero_grad, forward with the loss, backward,
/// optimiser step, with TorchSharp's Adam, with <see cref="FusedOptimizer"/> and with libtorch's fused kernel
/// (<see cref="FusedKernels"/>), interleaved epochs after a warm-up.
/// </summary>
public static class StepBreakdown
{
    static readonly string[] Variants = ["torchsharp", "fused", "kernel"];
    static readonly string[] Phases = ["zero_grad", "forward", "backward", "step", "total"];

    /// <summary>Median microseconds per step of each phase, per variant.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> Run(int rounds, int threads, int? batches)
    {
        TorchRuntime.Initialize(new RuntimeOptions { Threads = threads });
        using var data = new DigitsDataModule(new DigitsDataOptions { BatchSize = 64, Seed = 42 });
        IBatchLoader train = batches is int n ? new FirstBatches(data.Train, n) : data.Train;
        var samples = Variants.ToDictionary(v => v, _ => Phases.ToDictionary(p => p, _ => new List<double>()));
        for (int round = -1; round < rounds; round++)
            foreach (string variant in Variants)
            {
                var us = Epoch(variant, train);
                if (round < 0) continue;
                foreach (var (phase, value) in us) samples[variant][phase].Add(value);
            }
        return samples.ToDictionary(v => v.Key, v => (IReadOnlyDictionary<string, double>)v.Value.ToDictionary(p => p.Key, p => Math.Round(Timings.Median(p.Value), 1)));
    }

    static Dictionary<string, double> Epoch(string variant, IBatchLoader train)
    {
        Seed.Everything(42);
        using var model = new DigitsMlp();
        using var optimizer = optim.Adam(model.parameters(), 1e-3);
        if (variant == "kernel") optimizer.WithFusedKernel();
        using var fused = variant != "torchsharp" ? FusedOptimizer.TryCreate(optimizer, out _) : null;
        var ticks = new long[4];
        long start = Stopwatch.GetTimestamp();
        int steps = 0;
        foreach (var batch in train.Epoch(0))
        {
            using var scope = NewDisposeScope();
            using var disposeBatch = batch;
            long t0 = Stopwatch.GetTimestamp();
            optimizer.zero_grad();
            long t1 = Stopwatch.GetTimestamp();
            var loss = nn.functional.cross_entropy(model.call(batch.Input), batch.Target);
            long t2 = Stopwatch.GetTimestamp();
            loss.backward();
            long t3 = Stopwatch.GetTimestamp();
            if (fused is not null) fused.Step();
            else optimizer.step();
            long t4 = Stopwatch.GetTimestamp();
            (ticks[0], ticks[1], ticks[2], ticks[3]) = (ticks[0] + t1 - t0, ticks[1] + t2 - t1, ticks[2] + t3 - t2, ticks[3] + t4 - t3);
            steps++;
        }
        double total = Stopwatch.GetTimestamp() - start;
        double perStep = 1e6 / Stopwatch.Frequency / steps;
        return new Dictionary<string, double>
        {
            ["zero_grad"] = ticks[0] * perStep, ["forward"] = ticks[1] * perStep, ["backward"] = ticks[2] * perStep,
            ["step"] = ticks[3] * perStep, ["total"] = total * perStep,
        };
    }
}
