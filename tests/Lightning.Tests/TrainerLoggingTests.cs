using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Unified.Core.Data;
using Unified.Core.Logging;
using Unified.Core.Logging.Csv;
using Unified.Core.Logging.Mlflow;
using Unified.Core.Logging.TensorBoard;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Core.Telemetry;
using Unified.Testing;
using Xunit;

namespace Unified.Lightning.Tests;

[Collection(TorchCollection.Name)]
public sealed class TrainerLoggingTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    static ClassificationModule NewModule()
    {
        Seed.Everything(42);
        var module = new ClassificationModule(new DigitsMlp(), 1e-3);
        module.Hyperparameters["model"] = "mlp";
        module.Hyperparameters["batch_size"] = 64;
        return module;
    }

    [SkippableFact]
    public void DigitsFit_WritesATensorBoardFileThatReadsBack_WithMonotonicStepsAndUnixWallTimes()
    {
        double before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        using var data = new DigitsDataModule(new DigitsDataOptions { BatchSize = 64, Seed = 42 });
        using var module = NewModule();
        var tb = new TensorBoardLogger(new TensorBoardLoggerOptions { SaveDir = temp.Path });
        var options = new TrainerOptions { MaxEpochs = 2, Accelerator = "cpu" };
        options.Loggers.Add(tb);
        var trainer = new Trainer(options);

        trainer.Fit(module, data);
        double after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

        var events = TfEventReader.Read(tb.EventFile); // every record's masked CRC32C verified
        Assert.Equal("brain.Event:2", events[0].FileVersion);
        var scalars = events.Skip(1).SelectMany(e => e.Values.Where(v => v.SimpleValue is not null).Select(v => (e.Step, e.WallTime, v.Tag, Value: v.SimpleValue!.Value))).ToList();
        foreach (var epoch in trainer.History)
            foreach (var (name, value) in epoch.Metrics)
                Assert.Equal((float)value, scalars.Single(s => s.Tag == name && s.Step == epoch.GlobalStep).Value);
        Assert.Equal([125L, 250L], scalars.Where(s => s.Tag == "val_accuracy").Select(s => s.Step));
        Assert.Equal([0f, 0f, 0f, 1f, 1f, 1f, 1f], scalars.Where(s => s.Tag == "epoch").Select(s => s.Value)); // steps 50, 100, 125, 150, 200, 250, 250
        Assert.Equal([50L, 100L, 150L, 200L, 250L], scalars.Where(s => s.Tag == "train_loss_step").Select(s => s.Step));
        Assert.Equal(-1f, scalars.Single(s => s.Tag == "hp_metric").Value);
        // Steps never go backwards in the file, and each tag's steps strictly increase.
        var training = scalars.Where(s => s.Tag != "hp_metric").ToList();
        Assert.True(training.Zip(training.Skip(1)).All(p => p.Second.Step >= p.First.Step), "steps go backwards");
        // (epoch is logged with the step loss and with the epoch's metrics, so it repeats a step at an epoch's end.)
        Assert.All(training.Where(s => s.Tag != "epoch").GroupBy(s => s.Tag), g => Assert.True(g.Zip(g.Skip(1)).All(p => p.Second.Step > p.First.Step), g.Key));
        Assert.All(events, e => Assert.InRange(e.WallTime, before - 0.01, after + 0.01));
        Assert.Contains(events, e => e.WallTime != Math.Floor(e.WallTime));
        Assert.Contains(events.SelectMany(e => e.Values), v => v.Tag == "_hparams_/session_end_info");

        DebianPython.SkipUnlessAvailable("google.protobuf");
        var (code, output, error) = DebianPython.Run(Path.Combine(DebianPython.RepositoryRoot, "scripts", "read_tfevents.py"), tb.EventFile);
        Assert.True(code == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(events.Count, lines.Count);
        var pythonValLoss = lines.Where(l => l.TryGetProperty("scalars", out var s) && s.TryGetProperty("val_loss", out _))
            .Select(l => (l.GetProperty("step").GetInt64(), l.GetProperty("scalars").GetProperty("val_loss").GetSingle())).ToList();
        Assert.Equal(trainer.History.Select(e => (e.GlobalStep, (float)e.Metrics["val_loss"])), pythonValLoss);
        Assert.Equal(events.Select(e => e.WallTime), lines.Select(l => l.GetProperty("wall_time").GetDouble()));
    }

    [Fact]
    public void Fit_WithACsvLogger_WritesLightningsMetricsCsvAndHparamsYaml()
    {
        using var data = new SliceDataModule(trainCount: 256, validationCount: 64, batchSize: 32);
        using var module = NewModule();
        var csv = new CsvLogger(new CsvLoggerOptions { SaveDir = temp.Path });
        var options = new TrainerOptions { MaxEpochs = 2, Accelerator = "cpu", LogEveryNSteps = 5 };
        options.Loggers.Add(csv);
        var trainer = new Trainer(options);

        trainer.Fit(module, data);

        Assert.Equal(Path.Combine(temp.Path, "lightning_logs", "version_0"), csv.LogDir);
        var lines = File.ReadAllText(csv.MetricsFile).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("epoch,step,train_loss,train_loss_step,val_accuracy,val_loss", lines[0]);
        Assert.Equal(["5", "8", "10", "15", "16"], lines.Skip(1).Select(l => l.Split(',')[1]));
        var last = lines[^1].Split(',');
        Assert.Equal("1", last[0]);
        Assert.Equal(trainer.History[1].Metrics["val_accuracy"], double.Parse(last[4], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("batch_size: 64\nlearning_rate: 0.001\nmodel: mlp\n", File.ReadAllText(Path.Combine(csv.LogDir, "hparams.yaml")));
    }

    [Fact]
    public void Fit_ThatFails_FlushesTheLoggersAndRecordsTheFailure()
    {
        using var data = new SliceDataModule(trainCount: 256, validationCount: 64, batchSize: 32);
        using var module = NewModule();
        var tb = new TensorBoardLogger(new TensorBoardLoggerOptions { SaveDir = temp.Path });
        var csv = new CsvLogger(new CsvLoggerOptions { SaveDir = temp.Path, Name = "csv" });
        var options = new TrainerOptions { MaxEpochs = 3, Accelerator = "cpu" };
        options.Loggers.Add(tb);
        options.Loggers.Add(csv);
        options.Callbacks.Add(new FailInSecondEpoch());
        var trainer = new Trainer(options);

        Assert.Throws<InvalidOperationException>(() => trainer.Fit(module, data));

        Assert.Equal(2, File.ReadAllLines(csv.MetricsFile).Length);
        var end = TfEventReader.Read(tb.EventFile).SelectMany(e => e.Values).Single(v => v.Tag == "_hparams_/session_end_info");
        Assert.Equal(2UL, TfEventReader.Fields(TfEventReader.Fields(end.PluginContent!).Single(f => f.Field == 4).Bytes).Single(f => f.Field == 1).Bits);
    }

    [Fact]
    public void Fit_WithTheMlflowServerDown_CompletesInBoundedTimeAndWarns()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var logs = new RecordingLoggerFactory();
        using var data = new SliceDataModule(trainCount: 256, validationCount: 64, batchSize: 32);
        using var module = NewModule();
        var options = new TrainerOptions { MaxEpochs = 3, Accelerator = "cpu", LoggerFactory = logs };
        options.Loggers.Add(new MlflowLogger(new MlflowLoggerOptions
        {
            TrackingUri = $"http://127.0.0.1:{port}", InitialBackoff = TimeSpan.FromMilliseconds(100), LoggerFactory = logs,
        }));
        var trainer = new Trainer(options);

        var clock = Stopwatch.StartNew();
        trainer.Fit(module, data);

        Assert.Equal(3, trainer.History.Count);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"fit took {clock.Elapsed}");
        Assert.Contains(logs.Entries, e => e.EventId.Name == "MlflowUnavailable" && e.Level == LogLevel.Warning);
        Assert.Contains(logs.Entries, e => e.EventId.Name == "MlflowUndelivered" && e.Message.Contains("FINISHED"));
        Assert.Contains(logs.Entries, e => e.EventId.Name == "FitCompleted");
    }

    [Fact]
    public void Fit_EmitsTheTrainingMeterWithTheRightValues()
    {
        int thread = Environment.CurrentManagedThreadId;
        var measurements = new List<(string Instrument, double Value, string? Framework)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == TrainingTelemetry.Name) l.EnableMeasurementEvents(instrument);
        };
        void Record(Instrument i, double v, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (Environment.CurrentManagedThreadId != thread) return; // other test assemblies' fits run on other threads
            string? framework = null;
            foreach (var tag in tags) if (tag.Key == TrainingTelemetry.FrameworkTag) framework = tag.Value as string;
            measurements.Add((i.Name, v, framework));
        }
        listener.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        listener.Start();
        using var data = new SliceDataModule(trainCount: 256, validationCount: 64, batchSize: 24);
        using var module = NewModule();
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 2, Accelerator = "cpu", AccumulateGradBatches = 2 });

        trainer.Fit(module, data);

        Assert.All(measurements, m => Assert.Equal("lightning", m.Framework));
        double Sum(string name) => measurements.Where(m => m.Instrument == name).Sum(m => m.Value);
        Assert.Equal(trainer.GlobalStep, Sum(TrainingTelemetry.StepsInstrument)); // 11 batches -> 6 optimiser steps per epoch
        Assert.Equal(12, trainer.GlobalStep);
        Assert.Equal(512, Sum(TrainingTelemetry.SamplesInstrument));
        Assert.Equal(22, measurements.Count(m => m.Instrument == TrainingTelemetry.StepDurationInstrument));
        Assert.Equal(trainer.History.Select(e => e.Metrics["train_loss"]), measurements.Where(m => m.Instrument == TrainingTelemetry.LossInstrument).Select(m => m.Value),
            new ToleranceComparer(1e-12));
        Assert.Equal([1e-3, 1e-3], measurements.Where(m => m.Instrument == TrainingTelemetry.LearningRateInstrument).Select(m => m.Value));
    }

    [Fact]
    public void Fit_EmitsFitEpochAndValidationSpans()
    {
        int thread = Environment.CurrentManagedThreadId;
        var stopped = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == TrainingTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (Environment.CurrentManagedThreadId == thread) stopped.Add(a);
            },
        };
        ActivitySource.AddActivityListener(listener);
        using var data = new SliceDataModule(trainCount: 128, validationCount: 64, batchSize: 32);
        using var module = NewModule();

        new Trainer(new TrainerOptions { MaxEpochs = 2, Accelerator = "cpu" }).Fit(module, data);

        Assert.Equal(["validation", "epoch", "validation", "epoch", "fit"], stopped.Select(a => a.OperationName));
        Assert.All(stopped, a => Assert.Equal("lightning", a.GetTagItem(TrainingTelemetry.FrameworkTag)));
        Assert.Equal(stopped[1].SpanId, stopped[0].ParentSpanId);
        Assert.Equal(stopped[4].SpanId, stopped[1].ParentSpanId);
    }

    sealed class FailInSecondEpoch : Callback
    {
        public override void OnTrainEpochStart(TrainerView trainer, Core.Training.ITrainingModule module)
        {
            if (trainer.CurrentEpoch == 1) throw new InvalidOperationException("boom");
        }
    }

    sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(double obj) => 0;
    }
}
