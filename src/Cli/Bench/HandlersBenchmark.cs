using System.Diagnostics;
using Unified.Core.Data;
using Unified.Core.Metrics;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Ignite;

namespace Unified.Cli.Bench;

/// <summary>
/// Times the handlers users attach to Ignite's supervised trainer on the digits MLP (batch 64, Adam, one thread): a
/// <see cref="ProgressBar"/> on a non-terminal writer (epoch lines, as the CLI shows when not on a terminal), a
/// <see cref="RunningAverage"/> of the loss output, and a <see cref="Checkpoint"/> saved at every epoch's end into a
/// temporary folder, with <see cref="HandlersTimeProfiler"/>; beside the same epoch without them, interleaved after a
/// warm-up round.
/// </summary>
public static class HandlersBenchmark
{
    /// <summary>
    /// Measures <paramref name="rounds"/> rounds of an epoch of <paramref name="batches"/> batches (default: all); with
    /// <paramref name="asyncWrites"/> the checkpoint is written in the background (<c>DiskSaver(asyncWrites: true)</c>).
    /// </summary>
    public static HandlersReport Run(int rounds, int? batches, bool asyncWrites = false)
    {
        TorchRuntime.Initialize(new RuntimeOptions { Threads = 1 });
        using var data = new DigitsDataModule(new DigitsDataOptions { BatchSize = 64, Seed = 42 });
        IBatchLoader train = batches is int n ? new FirstBatches(data.Train, n) : data.Train;
        string loadBefore = SuiteBenchmark.LoadAverage();
        var scratch = Directory.CreateTempSubdirectory("unified-bench-handlers-");
        var bare = new List<double>();
        var with = new List<Epoch>();
        try
        {
            for (int round = -1; round < rounds; round++)
            {
                double seconds = TimeEpoch(train, null, asyncWrites).Seconds;
                var profiled = TimeEpoch(train, Path.Combine(scratch.FullName, $"round{round + 1}"), asyncWrites);
                if (round < 0) continue;
                bare.Add(seconds);
                with.Add(profiled);
            }
        }
        finally
        {
            scratch.Delete(recursive: true); // the folder and the checkpoints this benchmark wrote, nothing else
        }
        int iterations = train.Count;
        double PerIteration(Func<Epoch, double> ms) => Math.Round(Timings.Median(with.Select(ms)) / iterations, 5);
        var keys = with.SelectMany(e => e.Profiler.Results.Keys).Distinct().ToList();
        var handlers = keys.Select(key => new HandlerTiming(key.Event, key.Handler, with[^1].Profiler.Results.GetValueOrDefault(key).Calls,
                PerIteration(e => e.Profiler.Results.GetValueOrDefault(key).Total.TotalMilliseconds)))
            .OrderByDescending(h => h.MsPerIteration).ToList();
        var byHandler = new[] { "progress_bar", "running_average", "checkpoint", "trainer" }.ToDictionary(group => group,
            group => PerIteration(e => e.Profiler.Results.Where(kv => GroupOf(kv.Key.Handler) == group).Sum(kv => kv.Value.Total.TotalMilliseconds)));
        return new HandlersReport(
            Math.Round(Timings.Median(with.Select(e => e.Profiler.OverheadPerIteration.TotalMilliseconds)), 5),
            PerIteration(e => e.Profiler.Results.Sum(kv => kv.Value.Total.TotalMilliseconds)),
            byHandler,
            Math.Round(Timings.Median(with.Select(e => e.Profiler.Results.Where(kv => GroupOf(kv.Key.Handler) == "checkpoint").Sum(kv => kv.Value.Total.TotalMilliseconds))), 3),
            Timings.Median(bare), Timings.Median(with.Select(e => e.Seconds)), handlers, rounds, iterations, 64, 1,
            $"{loadBefore} at start, {SuiteBenchmark.LoadAverage()} at end", asyncWrites);
    }

    sealed record Epoch(double Seconds, HandlersTimeProfiler Profiler);

    // The profiler names a handler "Type.Method" (lambdas "Type.Method λn"): the type tells whose it is.
    static string GroupOf(string handler) => handler[..Math.Max(0, handler.IndexOf('.'))] switch
    {
        nameof(ProgressBar) => "progress_bar",
        nameof(MetricAttachment) => "running_average",
        nameof(Checkpoint) => "checkpoint",
        _ => "trainer",
    };

    // One epoch of a freshly seeded MLP; with a checkpoint folder, the handlers and the profiler are attached.
    static Epoch TimeEpoch(IBatchLoader train, string? checkpointFolder, bool asyncWrites)
    {
        Seed.Everything(42);
        using var module = new ClassificationModule(DigitsModels.Create("mlp"), 1e-3);
        var trainer = Supervised.CreateTrainer(module, new SupervisedTrainerOptions { Accelerator = "cpu" });
        var profiler = new HandlersTimeProfiler();
        using var loss = new RunningAverage(alpha: 0.98);
        if (checkpointFolder is not null)
        {
            new ProgressBar(output: TextWriter.Null).Attach(trainer, metricNames: ["loss"]);
            loss.Attach(trainer, "loss");
            new Checkpoint(Supervised.ToSave(trainer).Parts, new DiskSaver(checkpointFolder, asyncWrites: asyncWrites), nSaved: 1).Attach(trainer, Events.EpochCompleted);
            profiler.Attach(trainer);
        }
        var clock = Stopwatch.StartNew();
        trainer.Run(train, maxEpochs: 1);
        return new Epoch(clock.Elapsed.TotalSeconds, profiler);
    }
}
