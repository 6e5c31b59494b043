using System.Globalization;
using System.Text.Json;
using Unified.Core.Data;
using Unified.Core.Runtime;

namespace Unified.Cli.Bench;

/// <summary>
/// JIT warm-up: in fresh child processes, the seconds of the first three Lightning-front-end epochs of the digits MLP
/// (one thread), under the runtime's default settings and under each tiered-compilation setting that may change it.
/// </summary>
public static class WarmUp
{
    /// <summary>The configurations: a name and the environment of the child.</summary>
    public static readonly (string Name, Dictionary<string, string> Environment)[] Configurations =
    [
        ("default", new()),
        ("TieredPGO=0", new() { ["DOTNET_TieredPGO"] = "0" }),
        ("TC_QuickJitForLoops=0", new() { ["DOTNET_TC_QuickJitForLoops"] = "0" }),
        ("ReadyToRun=0", new() { ["DOTNET_ReadyToRun"] = "0" }),
        ("TieredCompilation=0", new() { ["DOTNET_TieredCompilation"] = "0" }),
    ];

    /// <summary>Per configuration, the median (over <paramref name="runs"/> children) seconds of epochs 1, 2 and 3.</summary>
    public static IReadOnlyDictionary<string, double[]> Run(int runs, string loop)
    {
        var result = new Dictionary<string, double[]>();
        var all = Configurations.ToDictionary(c => c.Name, _ => new List<double[]>());
        for (int i = 0; i < runs; i++)
            foreach (var (name, environment) in Configurations)
            {
                string line = SelfProcess.RunLastLine(["bench", "warmup-child", "--loop", loop], environment, TimeSpan.FromMinutes(5));
                all[name].Add(JsonSerializer.Deserialize<double[]>(JsonDocument.Parse(line).RootElement.GetProperty("epoch_seconds").GetRawText())!);
            }
        foreach (var (name, samples) in all)
            result[name] = Enumerable.Range(0, 3).Select(e => Math.Round(Timings.Median(samples.Select(s => s[e])), 4)).ToArray();
        return result;
    }

    /// <summary>The child: three epochs in a row through <paramref name="loop"/>, each timed.</summary>
    public static double[] Child(string loop)
    {
        TorchRuntime.Initialize(new RuntimeOptions { Threads = 1 });
        using var data = new DigitsDataModule(new DigitsDataOptions { BatchSize = 64, Seed = 42 });
        return [.. Enumerable.Range(0, 3).Select(_ => EpochTimer.Time(loop, OverheadBenchmark.Mlp, data.Train))];
    }

    /// <summary>One line per configuration.</summary>
    public static string Describe(string name, double[] seconds) => string.Create(CultureInfo.InvariantCulture,
        $"{name,-24} epoch 1 {seconds[0]:F3} s  epoch 2 {seconds[1]:F3} s  epoch 3 {seconds[2]:F3} s  (epoch 1 at {seconds[2] / seconds[0]:P0} of epoch 3's speed)");
}
