using Unified.Core.Data;
using Unified.Core.Metrics;
using Unified.Core.Models;
using Unified.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Unified.Ignite.Tests;

/// <summary>HandlersTimeProfiler on the digits MLP with a running-average metric, a checkpoint handler, a progress bar and a logging handler attached.</summary>
[Collection(TorchCollection.Name)]
public sealed class HandlersTimeProfilerTests(ITestOutputHelper output)
{
    [Fact]
    public void Profiler_TimesEveryHandlerPerEvent_AndReportsThePerIterationOverhead()
    {
        using var temp = new TempDirectory();
        using var data = new DigitsDataModule(new DigitsDataOptions { BatchSize = 64, Seed = 42 });
        Core.Runtime.Seed.Everything(42);
        using var module = new ClassificationModule(new DigitsMlp(), 1e-3);
        var trainer = Supervised.CreateTrainer(module, new SupervisedTrainerOptions { Accelerator = "cpu", LogEveryNSteps = null });
        using var loss = new RunningAverage(alpha: 0.98);
        loss.Attach(trainer, "loss");
        var checkpoint = new Checkpoint(Supervised.ToSave(trainer).Parts, new DiskSaver(temp.Path), nSaved: 1);
        trainer.On(Events.IterationCompleted.Every(100), checkpoint.Handle);
        var shown = new List<double>();
        trainer.On(Events.IterationCompleted.Every(10), e => shown.Add(e.State.Metric("loss")));
        var bar = new StringWriter();
        new ProgressBar(output: bar).Attach(trainer, metricNames: ["loss"]);
        var profiler = new HandlersTimeProfiler();
        profiler.Attach(trainer);

        trainer.Run(data.Train, maxEpochs: 1);

        output.WriteLine(profiler.Report());
        output.WriteLine($"handlers per iteration: {profiler.OverheadPerIteration.TotalMilliseconds:F4} ms");
        var calls = profiler.Results.Where(kv => kv.Key.Event == "ITERATION_COMPLETED").Sum(kv => kv.Value.Calls);
        Assert.True(calls >= 125 * 3, $"ITERATION_COMPLETED handler calls: {calls}.");
        Assert.Equal(1, profiler.Results.Single(kv => kv.Key.Handler.EndsWith(".Handle", StringComparison.Ordinal) && kv.Key.Event == "ITERATION_COMPLETED").Value.Calls);
        Assert.Equal(12, shown.Count);
        Assert.True(profiler.OverheadPerIteration > TimeSpan.Zero);
        Assert.Single(Directory.GetFiles(temp.Path, "*.ckpt"));
        Assert.StartsWith("epoch 1/1  loss ", bar.ToString());
    }
}
