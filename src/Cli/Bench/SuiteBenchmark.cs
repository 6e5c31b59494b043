using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Unified.Core.Accelerators;
using Unified.Core.Data;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Cli.Bench;

/// <summary>
/// <c>unified bench</c>: the suite of DESIGN.md, one thread throughout. Front-end ratios for the digits MLP and CNN and
/// the per-step overhead on a tiny model come from interleaved epochs in this process; start-up, peak memory and the
/// PyTorch comparison come from child processes.
/// </summary>
public static class SuiteBenchmark
{
    const string Python = "/usr/bin/python3";

    /// <summary>Runs the suite; a line per part goes to <paramref name="progress"/>.</summary>
    public static SuiteReport Run(SuiteOptions options, TextWriter progress)
    {
        string loadBefore = LoadAverage();
        TorchRuntime.Initialize(new RuntimeOptions { Threads = 1 });
        var mlp = FrontEnds("mlp", options);
        progress.WriteLine(Line($"mlp: lightning x{mlp.LightningRatio:F3}  ignite x{mlp.IgniteRatio:F3}  (raw {mlp.RawSeconds:F3} s per {mlp.Steps} steps)"));
        var cnn = FrontEnds("cnn", options);
        progress.WriteLine(Line($"cnn: lightning x{cnn.LightningRatio:F3}  ignite x{cnn.IgniteRatio:F3}  (raw {cnn.RawSeconds:F3} s per {cnn.Steps} steps)"));
        var overhead = TinyStepOverhead(options.Rounds * 2 + 1, options.Batches);
        progress.WriteLine(Line($"step overhead (Linear 10->1, batch 8, SGD): lightning {overhead.Lightning:F1} us  ignite {overhead.Ignite:F1} us  (raw step {overhead.RawStepUs:F1} us)"));

        var scratch = Directory.CreateTempSubdirectory("unified-bench-");
        try
        {
            double startup = Startup(options, scratch.FullName);
            progress.WriteLine(Line($"start-up to the first optimiser step: {startup:F3} s"));
            var rss = MeasurePeakRss(options);
            double rssRatio = Math.Max(rss.LightningMb, rss.IgniteMb) / rss.RawMb;
            progress.WriteLine(Line($"peak RSS: raw {rss.RawMb:F0} MB  lightning {rss.LightningMb:F0} MB  ignite {rss.IgniteMb:F0} MB  (x{rssRatio:F3})"));
            var (pytorch, skipped) = ComparePytorch(options, scratch.FullName);
            progress.WriteLine(pytorch is null ? $"pytorch: skipped ({skipped})"
                : Line($"pytorch loop {pytorch.PytorchSeconds:F3} s  unified fit {pytorch.UnifiedSeconds:F3} s  (pytorch_ratio {pytorch.Ratio:F3}; torch {pytorch.TorchVersion}, {pytorch.Blas})  unified fit --fused {pytorch.UnifiedFusedSeconds:F3} s (ratio {pytorch.FusedRatio:F3})"));
            return new SuiteReport(mlp, cnn, overhead, startup, rssRatio, rss, pytorch?.PytorchSeconds, pytorch?.Ratio, pytorch, skipped,
                options.Rounds, options.Batches is not null, 1, Machine(), $"{loadBefore} at start, {LoadAverage()} at end");
        }
        finally
        {
            scratch.Delete(recursive: true); // created above for the children's run folders; nothing else lives there
        }
    }

    static string Line(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    static IBatchLoader Limit(IBatchLoader loader, SuiteOptions options) =>
        options.Batches is int batches ? new FirstBatches(loader, batches) : loader;

    static FrontEndRatios FrontEnds(string model, SuiteOptions options)
    {
        using var data = new DigitsDataModule(new DigitsDataOptions { BatchSize = 64, Seed = 42, Layout = DigitsModels.LayoutOf(model) });
        var train = Limit(data.Train, options);
        var median = EpochTimer.Interleaved(options.Rounds, 1, loop => EpochTimer.Time(loop, () => OverheadBenchmark.Model(model), train));
        double raw = median["raw"];
        return new FrontEndRatios(median["lightning"] / raw, median["ignite"] / raw, raw, median["lightning"], median["ignite"], train.Count);
    }

    internal static StepOverhead TinyStepOverhead(int rounds, int? batches)
    {
        // 1,000 steps of 8 samples: the step's arithmetic is a few microseconds, so the rest is per-step overhead.
        using var loader = TinyModel.Loader();
        var train = batches is int n ? (IBatchLoader)new FirstBatches(loader, n) : loader;
        var median = EpochTimer.Interleaved(rounds, 1, loop => EpochTimer.Time(loop, TinyModel.Create, train, TinyModel.Mse));
        double perStep = 1e6 / train.Count;
        return new StepOverhead((median["lightning"] - median["raw"]) * perStep, (median["ignite"] - median["raw"]) * perStep, median["raw"] * perStep, train.Count);
    }

    static double Startup(SuiteOptions options, string scratch)
    {
        var seconds = new List<double>();
        for (int i = 0; i < options.ChildRuns; i++)
        {
            string line = SelfProcess.RunLastLine(["fit", "--max-steps", "1", "--epochs", "1", "--threads", "1", "--json", "--run-dir", Path.Combine(scratch, $"startup-{i}")],
                new Dictionary<string, string>(), TimeSpan.FromMinutes(5));
            seconds.Add(JsonDocument.Parse(line).RootElement.GetProperty("first_step_seconds").GetDouble());
        }
        return Timings.Median(seconds);
    }

    static PeakRss MeasurePeakRss(SuiteOptions options)
    {
        double Child(string loop)
        {
            var args = new List<string> { "bench", "peak-rss", "--loop", loop };
            if (options.Batches is int batches) args.AddRange(["--batches", batches.ToString(CultureInfo.InvariantCulture)]);
            string line = SelfProcess.RunLastLine(args, new Dictionary<string, string>(), TimeSpan.FromMinutes(5));
            return JsonDocument.Parse(line).RootElement.GetProperty("peak_rss_mb").GetDouble();
        }
        return new PeakRss(Child("raw"), Child("lightning"), Child("ignite"));
    }

    /// <summary>The child of <see cref="MeasurePeakRss"/>: one epoch of the digits MLP through <paramref name="loop"/>, then VmHWM in MB.</summary>
    public static double PeakRssOf(string loop, int? batches)
    {
        TorchRuntime.Initialize(new RuntimeOptions { Threads = 1 });
        using var data = new DigitsDataModule(new DigitsDataOptions { BatchSize = 64, Seed = 42 });
        EpochTimer.Time(loop, OverheadBenchmark.Mlp, batches is int n ? new FirstBatches(data.Train, n) : data.Train);
        return Core.Diagnostics.ProcessMemory.PeakRssMb();
    }

    static (PytorchComparison?, string?) ComparePytorch(SuiteOptions options, string scratch)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "scripts", "bench_pytorch.py");
        if (!File.Exists(Python)) return (null, $"{Python} is missing");
        if (!File.Exists(script)) return (null, $"{script} is missing");
        var probe = RunPython(["-c", "import torch"], TimeSpan.FromMinutes(2));
        if (probe.ExitCode != 0) return (null, $"{Python} has no torch (apt-get install python3-torch)");

        var pythonArgs = new List<string> { script, "--data-dir", DigitsDataModule.BundledDirectory, "--epochs", "3", "--batch-size", "64", "--seed", "42", "--lr", "1e-3" };
        var fitArgs = new List<string> { "fit", "--threads", "1", "--epochs", "3", "--json" };
        if (options.MaxSteps is long steps)
        {
            pythonArgs.AddRange(["--max-steps", steps.ToString(CultureInfo.InvariantCulture)]);
            fitArgs.AddRange(["--max-steps", steps.ToString(CultureInfo.InvariantCulture)]);
        }
        var python = new List<JsonElement>();
        var unified = new List<JsonElement>();
        var fused = new List<JsonElement>();
        for (int i = 0; i < options.ChildRuns; i++)
        {
            var run = RunPython(pythonArgs, TimeSpan.FromMinutes(5));
            if (run.ExitCode != 0) throw new InvalidOperationException($"{Python} {string.Join(' ', pythonArgs)} exited with {run.ExitCode}: {run.Error.Trim()}");
            python.Add(JsonDocument.Parse(run.Output.TrimEnd().Split('\n')[^1]).RootElement.Clone());
            unified.Add(JsonDocument.Parse(SelfProcess.RunLastLine([.. fitArgs, "--run-dir", Path.Combine(scratch, $"fit-{i}")],
                new Dictionary<string, string>(), TimeSpan.FromMinutes(5))).RootElement.Clone());
            fused.Add(JsonDocument.Parse(SelfProcess.RunLastLine([.. fitArgs, "--fused", "--run-dir", Path.Combine(scratch, $"fit-fused-{i}")],
                new Dictionary<string, string>(), TimeSpan.FromMinutes(5))).RootElement.Clone());
        }
        double pytorchSeconds = Timings.Median(python.Select(p => p.GetProperty("seconds").GetDouble()));
        double unifiedSeconds = Timings.Median(unified.Select(u => u.GetProperty("seconds").GetDouble()));
        double fusedSeconds = Timings.Median(fused.Select(u => u.GetProperty("seconds").GetDouble()));
        var first = python[0];
        return (new PytorchComparison(pytorchSeconds, unifiedSeconds, pytorchSeconds / unifiedSeconds, first.GetProperty("torch").GetString() ?? "",
            first.GetProperty("blas").GetString() ?? "", first.GetProperty("val_accuracy").GetDouble(), unified[0].GetProperty("val_accuracy").GetDouble(),
            fusedSeconds, pytorchSeconds / fusedSeconds), null);
    }

    static (int ExitCode, string Output, string Error) RunPython(IEnumerable<string> args, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args) start.ArgumentList.Add(arg);
        // One thread, as 'unified fit --threads 1': intra-op, OpenMP and OpenBLAS pools.
        foreach (string name in new[] { "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS" }) start.Environment[name] = "1";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {Python}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Python} did not finish within {timeout.TotalSeconds:F0} s.");
        }
        return (process.ExitCode, output.Result, error.Result);
    }

    static string Machine()
    {
        string cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU"
            : "unknown CPU";
        var features = CpuFeatures.Current;
        string isa = features.VectorWidth is { } width ? $" ({width}, {(features.NativeBFloat16 == true ? "native" : "no native")} bf16)" : "";
        return $"{cpu}{isa}, {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}";
    }

    internal static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
