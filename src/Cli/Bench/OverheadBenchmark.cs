using System.Text.Json;
using Unified.Core.Data;
using Unified.Core.Models;
using Unified.Core.Runtime;
using static TorchSharp.torch;

namespace Unified.Cli.Bench;

/// <summary>
/// Times the same MLP training epoch through the hand-written loop, the Lightning front-end and the Ignite front-end,
/// interleaved (raw, lightning, ignite, raw, …) in one process after a warm-up round; reports medians and ratios.
/// </summary>
public static class OverheadBenchmark
{
    /// <summary>Measures <paramref name="rounds"/> interleaved rounds on <paramref name="threads"/> threads.</summary>
    public static OverheadReport Run(int rounds, int threads, bool compareMalloc)
    {
        TorchRuntime.Initialize(new RuntimeOptions { Threads = threads });
        using var data = new DigitsDataModule(new DigitsDataOptions { BatchSize = 64, Seed = 42 });
        var times = new Dictionary<string, List<double>> { ["raw"] = [], ["lightning"] = [], ["ignite"] = [] };
        for (int round = -1; round < rounds; round++)
        {
            foreach (var (name, list) in times)
            {
                double seconds = TimeEpoch(name, data.Train);
                if (round >= 0) list.Add(seconds);
            }
        }
        double raw = Timings.Median(times["raw"]), lightning = Timings.Median(times["lightning"]), ignite = Timings.Median(times["ignite"]);
        var (mallocDefault, mallocTuned) = compareMalloc ? CompareMalloc(threads) : (null, null);
        return new OverheadReport(raw, lightning, ignite, lightning / raw, ignite / raw, rounds, data.Train.Count, threads,
            raw * 1000 / data.Train.Count, mallocDefault, mallocTuned, mallocDefault / mallocTuned, TorchRuntime.MallocTuned);
    }

    /// <summary>Median milliseconds per raw-loop step over <paramref name="epochs"/> epochs after one warm-up epoch (run in a child process).</summary>
    public static double RawStepMs(int epochs, int threads)
    {
        TorchRuntime.Initialize(new RuntimeOptions { Threads = threads });
        using var data = new DigitsDataModule(new DigitsDataOptions { BatchSize = 64, Seed = 42 });
        var times = Enumerable.Range(-1, epochs + 1).Select(_ => TimeEpoch("raw", data.Train)).Skip(1).ToList();
        return Timings.Median(times) * 1000 / data.Train.Count;
    }

    static double TimeEpoch(string loop, IBatchLoader train) => EpochTimer.Time(loop, Mlp, train);

    /// <summary>The digits MLP with Adam (lr 1e-3), as <c>unified fit</c> trains it.</summary>
    internal static (Core.Training.TrainingModule, nn.Module<Tensor, Tensor>, optim.Optimizer) Mlp() => Model("mlp");

    /// <summary>A digits model with Adam (lr 1e-3); the module and the raw loop share the network and the optimiser.</summary>
    internal static (Core.Training.TrainingModule, nn.Module<Tensor, Tensor>, optim.Optimizer) Model(string name)
    {
        var module = new ClassificationModule(DigitsModels.Create(name), 1e-3);
        var network = (nn.Module<Tensor, Tensor>)module.Network;
        return (module, network, optim.Adam(network.parameters(), 1e-3));
    }

    static (double?, double?) CompareMalloc(int threads)
    {
        double Child(string tuning)
        {
            string line = SelfProcess.RunLastLine(["bench", "raw-step", "--json", "--threads", threads.ToString()],
                new Dictionary<string, string> { ["UNIFIED_MALLOC_TUNING"] = tuning }, TimeSpan.FromMinutes(5));
            return JsonDocument.Parse(line).RootElement.GetProperty("step_ms").GetDouble();
        }
        return (Child("0"), Child("1"));
    }
}
