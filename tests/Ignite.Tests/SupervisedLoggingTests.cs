using System.Diagnostics;
using System.Diagnostics.Metrics;
using Unified.Core.Logging;
using Unified.Core.Logging.Csv;
using Unified.Core.Logging.TensorBoard;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Core.Telemetry;
using Unified.Testing;
using Xunit;

namespace Unified.Ignite.Tests;

[Collection(TorchCollection.Name)]
public sealed class SupervisedLoggingTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    /// <summary>A trainer whose EpochCompleted handler runs the evaluator and copies its metrics into the trainer's state.</summary>
    static Engine TrainerWithValidation(ClassificationModule module, SliceDataModule data, SupervisedTrainerOptions options)
    {
        var trainer = Supervised.CreateTrainer(module, options);
        var evaluator = Supervised.CreateEvaluator(module, "cpu");
        trainer.On(Events.EpochCompleted, e =>
        {
            foreach (var (name, value) in evaluator.Run(data.Validation!).Metrics) e.State.Metrics[name] = value;
        });
        return trainer;
    }

    [Fact]
    public void Trainer_WithLoggers_LogsHparamsEpochMetricsIncludingValidation_AndStepLosses()
    {
        using var data = new SliceDataModule(trainCount: 256, validationCount: 64, batchSize: 32);
        Seed.Everything(42);
        using var module = new ClassificationModule(new DigitsMlp(), 1e-3);
        var csv = new CsvLogger(new CsvLoggerOptions { SaveDir = temp.Path });
        var options = new SupervisedTrainerOptions { Accelerator = "cpu", LogEveryNSteps = 5 };
        options.Loggers.Add(csv);
        var trainer = TrainerWithValidation(module, data, options);

        var state = trainer.Run(data.Train, maxEpochs: 2);

        var lines = File.ReadAllText(csv.MetricsFile).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("epoch,step,train_loss,train_loss_step,val_accuracy,val_loss", lines[0]);
        Assert.Equal(["5", "8", "10", "15", "16"], lines.Skip(1).Select(l => l.Split(',')[1]));
        var last = lines[^1].Split(',');
        Assert.Equal("1", last[0]);
        Assert.Equal(state.Metrics["val_loss"], double.Parse(last[5], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("learning_rate: 0.001\n", File.ReadAllText(Path.Combine(csv.LogDir, "hparams.yaml")));
        // Finished, not spent: a later run stage logs into the same file (Lightning's trainer/call.py _call_teardown_hook).
        csv.LogMetrics(new Dictionary<string, double> { ["later"] = 1 }, 16);
        csv.Flush();
        var after = File.ReadAllLines(csv.MetricsFile);
        Assert.Equal(lines.Length + 1, after.Length);
        Assert.Equal("epoch,later,step,train_loss,train_loss_step,val_accuracy,val_loss", after[0]);
    }

    [Fact]
    public void Trainer_WhoseFailureAHandlerSwallowed_StillFinishesItsLoggersAsFailed()
    {
        using var data = new SliceDataModule(trainCount: 128, validationCount: 0, batchSize: 32);
        Seed.Everything(42);
        using var module = new ClassificationModule(new DigitsMlp(), 1e-3);
        var tb = new TensorBoardLogger(new TensorBoardLoggerOptions { SaveDir = temp.Path });
        var options = new SupervisedTrainerOptions { Accelerator = "cpu" };
        options.Loggers.Add(tb);
        var trainer = Supervised.CreateTrainer(module, options);
        // Raised outside the iterations, so it ends the run (ignite/engine/engine.py: one raised in an iteration only ends its epoch).
        trainer.On(Events.EpochCompleted.Once(2), _ => throw new InvalidOperationException("boom"));
        Exception? seen = null;
        trainer.On(Events.ExceptionRaised, (_, e) => seen = e);

        trainer.Run(data.Train, maxEpochs: 3);

        Assert.Equal("boom", seen?.Message);
        var events = TfEventReader.Read(tb.EventFile);
        Assert.Equal([4L], events.SelectMany(e => e.Values.Where(v => v.Tag == "train_loss").Select(_ => e.Step)));
        var end = events.SelectMany(e => e.Values).Single(v => v.Tag == "_hparams_/session_end_info");
        Assert.Equal(2UL, TfEventReader.Fields(TfEventReader.Fields(end.PluginContent!).Single(f => f.Field == 4).Bytes).Single(f => f.Field == 1).Bits);
    }

    [Fact]
    public void Trainer_EmitsSpansWithValidationInsideItsEpoch_AndTheMeter()
    {
        int thread = Environment.CurrentManagedThreadId;
        var stopped = new List<Activity>();
        using var activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name == TrainingTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (Environment.CurrentManagedThreadId == thread) stopped.Add(a);
            },
        };
        ActivitySource.AddActivityListener(activities);
        var steps = new List<(long Value, object? Framework)>();
        using var meter = new MeterListener();
        meter.InstrumentPublished = (i, l) =>
        {
            if (i.Meter.Name == TrainingTelemetry.Name && i.Name == TrainingTelemetry.StepsInstrument) l.EnableMeasurementEvents(i);
        };
        meter.SetMeasurementEventCallback<long>((_, v, tags, _) =>
        {
            if (Environment.CurrentManagedThreadId == thread) steps.Add((v, tags[0].Value));
        });
        meter.Start();
        using var data = new SliceDataModule(trainCount: 128, validationCount: 64, batchSize: 32);
        Seed.Everything(42);
        using var module = new ClassificationModule(new DigitsMlp(), 1e-3);
        var trainer = TrainerWithValidation(module, data, new SupervisedTrainerOptions { Accelerator = "cpu", GradientAccumulationSteps = 2 });

        trainer.Run(data.Train, maxEpochs: 2);

        Assert.Equal(["validation", "epoch", "validation", "epoch", "fit"], stopped.Select(a => a.OperationName));
        Assert.All(stopped, a => Assert.Equal("ignite", a.GetTagItem(TrainingTelemetry.FrameworkTag)));
        Assert.Equal(stopped[1].SpanId, stopped[0].ParentSpanId);
        Assert.Equal(stopped[3].SpanId, stopped[2].ParentSpanId);
        Assert.Equal(stopped[4].SpanId, stopped[3].ParentSpanId);
        Assert.Equal(ActivityStatusCode.Ok, stopped[4].Status);
        Assert.Equal(4, steps.Sum(s => s.Value)); // 4 batches per epoch, 2 per step
        Assert.All(steps, s => Assert.Equal("ignite", s.Framework));
    }
}
