using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace Unified.Cli.Bench;

/// <summary><c>unified bench</c>: measurements against a hand-written TorchSharp loop.</summary>
public static class BenchCommand
{
    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Builds the command; results go to <paramref name="output"/>.</summary>
    public static Command Create(TextWriter output, TextWriter error)
    {
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object on the last line." };
        var quick = new Option<bool>("--quick") { Description = "A smoke run: 3 steps per timed epoch, one round, one child run per measurement (the numbers mean nothing)." };
        var chart = new Option<string?>("--chart") { Description = "Also draw the ratios and the step overhead into this new PNG file (an existing file is never replaced)." };
        var command = new Command("bench", "The benchmark suite (front-end ratios, step overhead, start-up, peak memory, PyTorch), or one of the benchmarks below.")
        {
            json, quick, chart,
        };
        command.SetAction(parsed =>
        {
            string? chartPath = parsed.GetValue(chart);
            if (chartPath is not null) SuiteChart.Validate(chartPath); // before the minutes of measuring
            var report = SuiteBenchmark.Run(parsed.GetValue(quick) ? SuiteOptions.Quick : SuiteOptions.Full, output);
            if (chartPath is not null)
            {
                SuiteChart.Save(report, chartPath);
                output.WriteLine($"chart: {chartPath}");
            }
            if (parsed.GetValue(json)) output.WriteLine(JsonSerializer.Serialize(report, Json));
            return ExitCodes.Success;
        });
        command.Subcommands.Add(PeakRssCommand(output));
        command.Subcommands.Add(StepCommand(output));
        command.Subcommands.Add(WarmUpCommand(output));
        command.Subcommands.Add(WarmUpChild(output));
        command.Subcommands.Add(Overhead(output));
        command.Subcommands.Add(StepOverheadCommand(output));
        command.Subcommands.Add(PrecisionCommand(output));
        command.Subcommands.Add(HandlersCommand(output));
        command.Subcommands.Add(RawStep(output));
        command.Subcommands.Add(Ddp(output, error));
        command.Subcommands.Add(DdpWorker(output));
        return command;
    }

    static Command Ddp(TextWriter output, TextWriter error)
    {
        var rounds = new Option<int>("--rounds") { Description = "Timed epochs per configuration, at least 3 (after one warm-up epoch).", DefaultValueFactory = _ => 5 };
        var batchSize = new Option<int>("--batch-size") { Description = "Samples per step on each rank.", DefaultValueFactory = _ => 64 };
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object on the last line." };
        var command = new Command("ddp", "Data-parallel scaling of the digits CNN: 1 process vs 2 ranks under mpirun, one thread each (front-end and hand-written loop).")
        {
            rounds, batchSize, json,
        };
        command.SetAction(parsed =>
        {
            int r = parsed.GetValue(rounds), b = parsed.GetValue(batchSize);
            if (r < 3) throw new UsageException($"--rounds must be at least 3; got {r}.");
            if (b < 1) throw new UsageException($"--batch-size must be a positive integer; got {b}.");
            var report = DdpBenchmark.Run(r, b, error);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"lightning: {report.SamplesPerSecond1Rank:F0} samples/s on 1 rank, {report.SamplesPerSecond2Ranks:F0} on 2 (efficiency {report.ScalingEfficiency:P1}, communication {report.CommFraction:P1} of the step)"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"hand-written loop: {report.RawSamplesPerSecond1Rank:F0} samples/s on 1 rank, {report.RawSamplesPerSecond2Ranks:F0} on 2 (efficiency {report.RawScalingEfficiency:P1}, communication {report.RawCommFraction:P1}); with overlapped 10 KiB buckets {report.OverlapSamplesPerSecond2Ranks:F0}"));
            output.WriteLine("all-reduce ms by MiB: " + string.Join("  ", report.AllReduceMs.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key}: {kv.Value:F3}"))));
            if (parsed.GetValue(json)) output.WriteLine(JsonSerializer.Serialize(report, Json));
            return ExitCodes.Success;
        });
        return command;
    }

    static Command DdpWorker(TextWriter output)
    {
        var rounds = new Option<int>("--rounds") { DefaultValueFactory = _ => 5 };
        var batchSize = new Option<int>("--batch-size") { DefaultValueFactory = _ => 64 };
        var command = new Command("ddp-worker", "One launch of 'bench ddp' (every rank runs it; rank 0 prints the JSON line).") { rounds, batchSize };
        command.Hidden = true;
        command.SetAction(parsed =>
        {
            var times = DdpBenchmark.Measure(parsed.GetValue(rounds), parsed.GetValue(batchSize));
            if (Core.Distributed.LaunchEnvironment.Current().Rank == 0) output.WriteLine(DdpBenchmark.ToJson(times));
            return ExitCodes.Success;
        });
        return command;
    }

    static Command StepCommand(TextWriter output)
    {
        var rounds = new Option<int>("--rounds") { Description = "Interleaved epochs per variant, at least 1 (after one warm-up epoch).", DefaultValueFactory = _ => 5 };
        var threads = new Option<int>("--threads") { Description = "libtorch threads.", DefaultValueFactory = _ => 1 };
        var batches = new Option<int?>("--batches") { Description = "Batches per epoch (default: the whole epoch)." };
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object on the last line." };
        var command = new Command("step", "Microseconds per phase of a hand-written digits-MLP step (batch 64, Adam): TorchSharp's Adam, the fused step and libtorch's fused kernel.")
        {
            rounds, threads, batches, json,
        };
        command.SetAction(parsed =>
        {
            int r = parsed.GetValue(rounds), t = parsed.GetValue(threads);
            if (r < 1) throw new UsageException($"--rounds must be at least 1; got {r}.");
            if (t < 1) throw new UsageException($"--threads must be a positive integer; got {t}.");
            var report = StepBreakdown.Run(r, t, parsed.GetValue(batches));
            foreach (var (variant, phases) in report)
                output.WriteLine(variant + ": " + string.Join("  ", phases.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value:F1} us"))));
            if (parsed.GetValue(json)) output.WriteLine(JsonSerializer.Serialize(report, Json));
            return ExitCodes.Success;
        });
        return command;
    }

    static Command WarmUpCommand(TextWriter output)
    {
        var runs = new Option<int>("--runs") { Description = "Child processes per configuration.", DefaultValueFactory = _ => 2 };
        var loop = new Option<string>("--loop") { Description = "raw, lightning or ignite.", DefaultValueFactory = _ => "lightning" };
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object on the last line." };
        var command = new Command("warmup", "Seconds of the first three epochs in a fresh process, under the runtime's JIT settings (TieredPGO, QuickJitForLoops, ReadyToRun, TieredCompilation).")
        {
            runs, loop, json,
        };
        command.SetAction(parsed =>
        {
            int n = parsed.GetValue(runs);
            string name = parsed.GetValue(loop)!;
            if (n < 1) throw new UsageException($"--runs must be at least 1; got {n}.");
            if (!EpochTimer.Loops.Contains(name)) throw new UsageException($"--loop must be one of {string.Join(", ", EpochTimer.Loops)}; got '{name}'.");
            var report = WarmUp.Run(n, name);
            foreach (var (configuration, seconds) in report) output.WriteLine(WarmUp.Describe(configuration, seconds));
            if (parsed.GetValue(json)) output.WriteLine(JsonSerializer.Serialize(report, Json));
            return ExitCodes.Success;
        });
        return command;
    }

    static Command WarmUpChild(TextWriter output)
    {
        var loop = new Option<string>("--loop") { DefaultValueFactory = _ => "lightning" };
        var command = new Command("warmup-child", "One child of 'bench warmup'.") { loop };
        command.Hidden = true;
        command.SetAction(parsed =>
        {
            output.WriteLine(JsonSerializer.Serialize(new { epoch_seconds = WarmUp.Child(parsed.GetValue(loop)!) }));
            return ExitCodes.Success;
        });
        return command;
    }

    static Command PeakRssCommand(TextWriter output)
    {
        var loop = new Option<string>("--loop") { DefaultValueFactory = _ => "raw" };
        var batches = new Option<int?>("--batches");
        var command = new Command("peak-rss", "One epoch of the digits MLP through one loop, then the peak RSS (used by 'bench').") { loop, batches };
        command.Hidden = true;
        command.SetAction(parsed =>
        {
            string name = parsed.GetValue(loop)!;
            if (!EpochTimer.Loops.Contains(name)) throw new UsageException($"--loop must be one of {string.Join(", ", EpochTimer.Loops)}; got '{name}'.");
            output.WriteLine(JsonSerializer.Serialize(new { peak_rss_mb = SuiteBenchmark.PeakRssOf(name, parsed.GetValue(batches)) }));
            return ExitCodes.Success;
        });
        return command;
    }

    static Command Overhead(TextWriter output)
    {
        var rounds = new Option<int>("--rounds") { Description = "Interleaved rounds (raw, lightning, ignite), at least 3.", DefaultValueFactory = _ => 9 };
        var threads = new Option<int>("--threads") { Description = "libtorch threads.", DefaultValueFactory = _ => 1 };
        var noMalloc = new Option<bool>("--skip-malloc") { Description = "Skip the child processes that time a step with and without the malloc tuning." };
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object on the last line." };
        var command = new Command("overhead", "Time one MLP epoch: hand-written loop vs Lightning vs Ignite front-end; and the step with/without malloc tuning.")
        {
            rounds, threads, noMalloc, json,
        };
        command.SetAction(parsed =>
        {
            int r = parsed.GetValue(rounds), t = parsed.GetValue(threads);
            if (r < 3) throw new UsageException($"--rounds must be at least 3; got {r}.");
            if (t < 1) throw new UsageException($"--threads must be a positive integer; got {t}.");
            var report = OverheadBenchmark.Run(r, t, compareMalloc: !parsed.GetValue(noMalloc));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"raw {report.RawSeconds:F3} s  lightning {report.LightningSeconds:F3} s (x{report.LightningRatio:F3})  ignite {report.IgniteSeconds:F3} s (x{report.IgniteRatio:F3})  per epoch of {report.StepsPerEpoch} steps, median of {r}"));
            if (report.StepMsMallocDefault is double before && report.StepMsMallocTuned is double after)
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"raw step: {before:F2} ms with glibc's default malloc, {after:F2} ms tuned (x{before / after:F2})"));
            if (parsed.GetValue(json)) output.WriteLine(JsonSerializer.Serialize(report, Json));
            return ExitCodes.Success;
        });
        return command;
    }

    static Command StepOverheadCommand(TextWriter output)
    {
        var rounds = new Option<int>("--rounds") { Description = "Interleaved rounds (raw, lightning, ignite) of 1,000 steps, at least 3.", DefaultValueFactory = _ => 11 };
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object on the last line." };
        var command = new Command("step-overhead", "Microseconds each front-end adds per step of a Linear 10->1 (batch 8, SGD, MSE), one thread: the suite's step_overhead_us alone.")
        {
            rounds, json,
        };
        command.SetAction(parsed =>
        {
            int r = parsed.GetValue(rounds);
            if (r < 3) throw new UsageException($"--rounds must be at least 3; got {r}.");
            Core.Runtime.TorchRuntime.Initialize(new Core.Runtime.RuntimeOptions { Threads = 1 });
            var report = SuiteBenchmark.TinyStepOverhead(r, batches: null);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"lightning {report.Lightning:F1} us  ignite {report.Ignite:F1} us per step (raw step {report.RawStepUs:F1} us, {report.Steps} steps, median of {r})"));
            if (parsed.GetValue(json)) output.WriteLine(JsonSerializer.Serialize(report, Json));
            return ExitCodes.Success;
        });
        return command;
    }

    static Command PrecisionCommand(TextWriter output)
    {
        var rounds = new Option<int>("--rounds") { Description = "Interleaved rounds (raw, 32-true, bf16-mixed) per model, at least 3.", DefaultValueFactory = _ => 5 };
        var threads = new Option<int>("--threads") { Description = "libtorch threads.", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object on the last line." };
        var batchSize = new Option<int>("--batch-size") { Description = "Samples per batch.", DefaultValueFactory = _ => 64 };
        var fused = new Option<bool>("--fused") { Description = "Step Adam with libtorch's fused kernel in 32-true and bf16-mixed (as unified fit --fused)." };
        var command = new Command("precision", "Time one epoch of the digits MLP and CNN in 32-true and bf16-mixed, beside the hand-written fp32 loop.")
        {
            rounds, threads, batchSize, fused, json,
        };
        command.SetAction(parsed =>
        {
            int r = parsed.GetValue(rounds), t = parsed.GetValue(threads);
            if (r < 3) throw new UsageException($"--rounds must be at least 3; got {r}.");
            if (t < 1) throw new UsageException($"--threads must be a positive integer; got {t}.");
            int b = parsed.GetValue(batchSize);
            if (b < 1) throw new UsageException($"--batch-size must be a positive integer; got {b}.");
            var report = PrecisionBenchmark.Run(r, t, b, parsed.GetValue(fused));
            foreach (var (model, timing) in new[] { ("mlp", report.Mlp), ("cnn", report.Cnn) })
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{model}: raw fp32 {timing.RawSeconds:F3} s  32-true {timing.Fp32Seconds:F3} s  bf16-mixed {timing.Bf16MixedSeconds:F3} s  (bf16 speed-up x{timing.Bf16Speedup:F2}, median of {r})"));
            if (report.NativeBf16 == false) output.WriteLine("This CPU has no native bf16 (AVX512-BF16, AMX or AVX-NE-CONVERT): libtorch emulates it.");
            if (parsed.GetValue(json)) output.WriteLine(JsonSerializer.Serialize(report, Json));
            return ExitCodes.Success;
        });
        return command;
    }

    static Command HandlersCommand(TextWriter output)
    {
        var rounds = new Option<int>("--rounds") { Description = "Rounds (an epoch without handlers, then one with them), at least 1, after one warm-up round.", DefaultValueFactory = _ => 5 };
        var batches = new Option<int?>("--batches") { Description = "Batches per epoch (default: the whole epoch)." };
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object on the last line." };
        var asyncWrites = new Option<bool>("--async-writes") { Description = "Write the checkpoint in the background (DiskSaver asyncWrites), not before the save returns." };
        var command = new Command("handlers",
            "Milliseconds per iteration of the Ignite trainer's handlers on the digits MLP (batch 64, Adam, one thread): a progress bar, a running average of the loss and a checkpoint each epoch, timed by HandlersTimeProfiler.")
        {
            rounds, batches, asyncWrites, json,
        };
        command.SetAction(parsed =>
        {
            int r = parsed.GetValue(rounds);
            if (r < 1) throw new UsageException($"--rounds must be at least 1; got {r}.");
            if (parsed.GetValue(batches) is < 1 and var b) throw new UsageException($"--batches must be a positive integer; got {b}.");
            var report = HandlersBenchmark.Run(r, parsed.GetValue(batches), parsed.GetValue(asyncWrites));
            foreach (var handler in report.Handlers)
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{handler.Event,-22} {handler.Handler,-36} {handler.Calls,6} calls  {handler.MsPerIteration:F4} ms/iteration"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"handlers per iteration: {report.IterationHandlersMs:F4} ms on iteration events, {report.HandlersMsPerIteration:F4} ms with the per-epoch ones amortised " +
                $"({string.Join(", ", report.ByHandler.Select(kv => $"{kv.Key} {kv.Value:F4}"))}); a checkpoint save {report.CheckpointMsPerSave:F1} ms{(report.AsyncWrites ? " on the training thread (background writes)" : "")}"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"epoch: {report.EpochSecondsWithoutHandlers:F3} s without handlers, {report.EpochSecondsWithHandlers:F3} s with them ({report.Iterations} iterations, median of {r}; load {report.LoadAverage})"));
            if (parsed.GetValue(json)) output.WriteLine(JsonSerializer.Serialize(report, Json));
            return ExitCodes.Success;
        });
        return command;
    }

    static Command RawStep(TextWriter output)
    {
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => 9 };
        var threads = new Option<int>("--threads") { DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json");
        var command = new Command("raw-step", "Median raw-loop step time of the digits MLP in this process (used by 'bench overhead').")
        {
            epochs, threads, json,
        };
        command.Hidden = true;
        command.SetAction(parsed =>
        {
            double ms = OverheadBenchmark.RawStepMs(parsed.GetValue(epochs), parsed.GetValue(threads));
            output.WriteLine(JsonSerializer.Serialize(new { step_ms = ms, malloc_tuned = Core.Runtime.TorchRuntime.MallocTuned }));
            return ExitCodes.Success;
        });
        return command;
    }
}
