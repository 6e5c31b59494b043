using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Unified.Core.Distributed;
using Unified.Core.Logging;
using Unified.Core.Logging.Csv;
using Unified.Core.Logging.TensorBoard;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Core.Telemetry;
using Unified.Core.Training;
using TorchSharp;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

[Collection(TorchCollection.Name)]
public sealed class FitRecorderTests : IDisposable
{
    readonly TempDirectory temp = new();
    readonly string framework = "test-" + Guid.NewGuid().ToString("N")[..8];

    public void Dispose() => temp.Dispose();

    /// <summary>A small fit driven the way the front-ends drive the recorder: 2 epochs of 8 batches of 32.</summary>
    List<EpochResult> Fit(FitRecorder recorder, int epochs = 2, Func<int, bool>? failAtStep = null)
    {
        using var data = new SliceDataModule(trainCount: 256, validationCount: 64, batchSize: 32);
        Seed.Everything(42);
        using var module = new ClassificationModule(new DigitsMlp(), 1e-3);
        module.Hyperparameters["lr"] = 1e-3;
        module.Hyperparameters["model"] = "mlp";
        var optimizers = module.ConfigureOptimizers();
        using var kernel = new StepKernel(module.Network, optimizers);
        var results = new List<EpochResult>();
        recorder.FitStarted(module, kernel, epochs, data.Train.Count);
        try
        {
            for (int epoch = 0; epoch < epochs; epoch++)
            {
                module.Logged.Reset();
                recorder.EpochStarted(epoch);
                int index = 0;
                foreach (var raw in data.Train.Epoch(epoch))
                {
                    using var batch = raw;
                    int i = index++;
                    if (failAtStep?.Invoke((int)kernel.GlobalStep) == true) throw new InvalidOperationException("boom");
                    long start = FitRecorder.StepStarting();
                    using var loss = kernel.Step(() => module.TrainingStep(batch, i), isLastInEpoch: index == data.Train.Count);
                    recorder.StepCompleted(start, loss, batch.Size, kernel.GlobalStep);
                }
                using (recorder.BeginValidation(epoch))
                {
                    module.Network.eval();
                    int v = 0;
                    foreach (var raw in data.Validation!.Epoch(0))
                    {
                        using var batch = raw;
                        EvaluationStep.Run(module, batch, v++);
                    }
                    module.Network.train();
                }
                var result = new EpochResult(epoch, kernel.GlobalStep, module.Logged.Compute());
                results.Add(result);
                recorder.EpochCompleted(result);
            }
            recorder.FitCompleted();
        }
        catch (Exception e)
        {
            recorder.FitFailed(e);
            throw;
        }
        return results;
    }

    [Fact]
    public void MeterListener_SeesStepsSamplesDurationLossAndLearningRate()
    {
        var measurements = new List<(string Instrument, double Value)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == TrainingTelemetry.Name) l.EnableMeasurementEvents(instrument);
        };
        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            foreach (var tag in tags)
                if (tag.Key == TrainingTelemetry.FrameworkTag && (string?)tag.Value == framework)
                    lock (measurements) measurements.Add((instrument.Name, value));
        }
        listener.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        listener.Start();

        using var recorder = new FitRecorder(new FitRecorderOptions { Framework = framework });
        var results = Fit(recorder);

        double Sum(string name) => measurements.Where(m => m.Instrument == name).Sum(m => m.Value);
        Assert.Equal(16, Sum(TrainingTelemetry.StepsInstrument));
        Assert.Equal(512, Sum(TrainingTelemetry.SamplesInstrument));
        var durations = measurements.Where(m => m.Instrument == TrainingTelemetry.StepDurationInstrument).Select(m => m.Value).ToList();
        Assert.Equal(16, durations.Count);
        Assert.All(durations, d => Assert.InRange(d, 1e-7, 10));
        var losses = measurements.Where(m => m.Instrument == TrainingTelemetry.LossInstrument).Select(m => m.Value).ToList();
        Assert.Equal(2, losses.Count);
        // The gauge is the epoch's sample-weighted mean training loss: what the module logged as train_loss.
        Assert.Equal(results[0].Metrics["train_loss"], losses[0], 1e-12);
        Assert.Equal(results[1].Metrics["train_loss"], losses[1], 1e-12);
        Assert.True(losses[1] < losses[0]);
        Assert.Equal([1e-3, 1e-3], measurements.Where(m => m.Instrument == TrainingTelemetry.LearningRateInstrument).Select(m => m.Value));
    }

    [Fact]
    public void ActivityListener_SeesFitEpochAndValidationSpans()
    {
        var stopped = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == TrainingTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if ((string?)activity.GetTagItem(TrainingTelemetry.FrameworkTag) == framework) lock (stopped) stopped.Add(activity);
            },
        };
        ActivitySource.AddActivityListener(listener);

        using var recorder = new FitRecorder(new FitRecorderOptions { Framework = framework });
        var results = Fit(recorder);

        Assert.Equal(["validation", "epoch", "validation", "epoch", "fit"], stopped.Select(a => a.OperationName));
        var fit = stopped[^1];
        Assert.Equal(ActivityStatusCode.Ok, fit.Status);
        Assert.Equal(2, fit.GetTagItem("unified.max_epochs"));
        var epochs = stopped.Where(a => a.OperationName == "epoch").ToList();
        Assert.All(epochs, e => Assert.Equal(fit.SpanId, e.ParentSpanId));
        Assert.Equal(epochs[0].SpanId, stopped[0].ParentSpanId);
        Assert.Equal(epochs[1].SpanId, stopped[2].ParentSpanId);
        Assert.Equal(results[1].Metrics["val_accuracy"], epochs[1].GetTagItem("unified.metric.val_accuracy"));
        Assert.Equal(16L, epochs[1].GetTagItem("unified.global_step"));
        Assert.All(stopped, a => Assert.True(a.Duration > TimeSpan.Zero));
    }

    [Fact]
    public void Loggers_GetHyperparametersEpochMetricsAndStepLosses()
    {
        var csv = new CsvLogger(new CsvLoggerOptions { SaveDir = temp.Path, Name = null, Version = "" });
        using var recorder = new FitRecorder(new FitRecorderOptions { Framework = framework, Loggers = [csv], LogEveryNSteps = 4 });
        var results = Fit(recorder);

        var lines = File.ReadAllLines(csv.MetricsFile);
        Assert.Equal("epoch,step,train_loss,train_loss_step,val_accuracy,val_loss", lines[0]);
        Assert.Equal(["4", "8", "8", "12", "16", "16"], lines.Skip(1).Select(l => l.Split(',')[1]));
        var epochRow = lines[3].Split(',');
        Assert.Equal("0", epochRow[0]);
        Assert.Equal(results[0].Metrics["val_loss"], double.Parse(epochRow[5], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("", epochRow[3]);
        Assert.Equal("learning_rate: 0.001\nlr: 0.001\nmodel: mlp\n", File.ReadAllText(Path.Combine(temp.Path, "hparams.yaml")));
        // Finished, not spent: a later stage logs into the same file (Lightning's trainer/call.py _call_teardown_hook).
        csv.LogMetrics(new Dictionary<string, double> { ["val_loss"] = 0.5, ["epoch"] = 1 }, 16);
        csv.Flush();
        Assert.Equal("1,16,,,,0.5", File.ReadAllLines(csv.MetricsFile)[^1]);
    }

    [Fact]
    public void FitFailed_FinishesTheLoggersWithFailure_AndMarksTheSpans()
    {
        Activity? fitSpan = null;
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == TrainingTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (a.OperationName == "fit" && (string?)a.GetTagItem(TrainingTelemetry.FrameworkTag) == framework) fitSpan = a;
            },
        };
        ActivitySource.AddActivityListener(listener);
        var logs = new RecordingLoggerFactory();
        var tb = new TensorBoardLogger(new TensorBoardLoggerOptions { SaveDir = temp.Path });
        var csv = new CsvLogger(new CsvLoggerOptions { SaveDir = temp.Path, Name = "csv" });
        using var recorder = new FitRecorder(new FitRecorderOptions { Framework = framework, Loggers = [tb, csv], LoggerFactory = logs });

        var error = Assert.Throws<InvalidOperationException>(() => Fit(recorder, failAtStep: step => step == 11));

        Assert.Equal("boom", error.Message);
        // The first epoch's metrics were flushed; the run is marked failed in TensorBoard's hparams session.
        Assert.Equal(2, File.ReadAllLines(csv.MetricsFile).Length);
        var end = TfEventReader.Read(tb.EventFile).SelectMany(e => e.Values).Single(v => v.Tag == "_hparams_/session_end_info");
        var info = TfEventReader.Fields(TfEventReader.Fields(end.PluginContent!).Single(f => f.Field == 4).Bytes);
        Assert.Equal(2UL, info.Single(f => f.Field == 1).Bits);
        Assert.Equal(ActivityStatusCode.Error, fitSpan!.Status);
        Assert.Equal("boom", fitSpan.StatusDescription);
        var failed = Assert.Single(logs.Entries, e => e.EventId.Name == "FitFailed");
        Assert.Equal(LogLevel.Error, failed.Level);
        Assert.Same(error, failed.Exception);
    }

    [Fact]
    public void AFailingLogger_IsAWarning_AndTheOthersStillLog()
    {
        var logs = new RecordingLoggerFactory();
        var csv = new CsvLogger(new CsvLoggerOptions { SaveDir = temp.Path });
        using var recorder = new FitRecorder(new FitRecorderOptions { Framework = framework, Loggers = [new BrokenLogger(), csv], LoggerFactory = logs });

        Fit(recorder);

        Assert.Equal(3, File.ReadAllLines(csv.MetricsFile).Length);
        var warnings = logs.Entries.Where(e => e.EventId.Name == "ExperimentLoggerFailed").ToList();
        Assert.True(warnings.Count >= 4, $"{warnings.Count} warnings");
        Assert.All(warnings, w => Assert.Equal(LogLevel.Warning, w.Level));
        Assert.Contains(warnings, w => w.Message.Contains("'broken' failed to log metrics"));
        Assert.Equal(warnings.Count, recorder.LoggerFailures);
    }

    [Fact]
    public void LoggerEvents_TellTheFitsStory()
    {
        var logs = new RecordingLoggerFactory();
        using var recorder = new FitRecorder(new FitRecorderOptions { Framework = framework, LoggerFactory = logs });
        Fit(recorder);

        Assert.Equal(["FitStarted", "EpochCompleted", "EpochCompleted", "FitCompleted"],
            logs.Entries.Where(e => e.Category == typeof(FitRecorder).FullName).Select(e => e.EventId.Name));
        Assert.Contains("val_accuracy=", logs.Entries[1].Message);
    }

    [Fact]
    public void OnRanksOtherThanZero_LoggersAreNotCalled()
    {
        var csv = new CsvLogger(new CsvLoggerOptions { SaveDir = temp.Path, Name = "rank1" });
        using var recorder = new FitRecorder(new FitRecorderOptions { Framework = framework, Loggers = [csv], ProcessGroup = new RankOne() });
        Fit(recorder, epochs: 1);

        Assert.False(File.Exists(csv.MetricsFile));
        Assert.False(File.Exists(Path.Combine(csv.LogDir, "hparams.yaml")));
    }

    [Fact]
    public void WeightAndGradientHistograms_AreLoggedOnRequest()
    {
        var tb = new TensorBoardLogger(new TensorBoardLoggerOptions { SaveDir = temp.Path });
        using var recorder = new FitRecorder(new FitRecorderOptions { Framework = framework, Loggers = [tb], Histograms = new HistogramOptions { Weights = true, GradientsEveryNSteps = 4 } });
        Fit(recorder, epochs: 1);

        var histograms = TfEventReader.Read(tb.EventFile).Where(e => e.Values.Any(v => v.Histogram is not null)).ToList();
        var weights = histograms.Where(e => e.Values[0].Tag.StartsWith("weights/", StringComparison.Ordinal)).ToList();
        Assert.Equal(["weights/fc1.bias", "weights/fc1.weight", "weights/fc2.bias", "weights/fc2.weight"], weights.Select(e => e.Values[0].Tag).Order());
        Assert.All(weights, e => Assert.Equal(8, e.Step));
        Assert.Equal(256.0 * 784, weights.Single(e => e.Values[0].Tag == "weights/fc1.weight").Values[0].Histogram!.Num);
        var gradients = histograms.Where(e => e.Values[0].Tag.StartsWith("gradients/", StringComparison.Ordinal)).ToList();
        Assert.Equal([4L, 4, 4, 4, 8, 8, 8, 8], gradients.Select(e => e.Step));
        Assert.Equal(["gradients/fc1.weight", "gradients/fc1.bias", "gradients/fc2.weight", "gradients/fc2.bias"], gradients.Take(4).Select(e => e.Values[0].Tag));
        Assert.All(gradients, e => Assert.True(e.Values[0].Histogram!.SumSquares > 0));
    }

    [Fact]
    public void StepCompleted_WithTheLossGaugeAndStepLogging_LeavesNoTensorBehind()
    {
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == TrainingTelemetry.LossInstrument) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((_, _, _, _) => { });
        listener.Start();
        var csv = new CsvLogger(new CsvLoggerOptions { SaveDir = temp.Path });
        using var recorder = new FitRecorder(new FitRecorderOptions { Framework = framework, Loggers = [csv], LogEveryNSteps = 1 });
        using var data = new SliceDataModule(trainCount: 64, validationCount: 0, batchSize: 32);
        using var module = new ClassificationModule(new DigitsMlp(), 1e-3);
        using var kernel = new StepKernel(module.Network, module.ConfigureOptimizers());
        recorder.FitStarted(module, kernel, 1, 1);
        recorder.EpochStarted(0);
        using var loss = tensor(0.5f);

        recorder.StepCompleted(FitRecorder.StepStarting(), loss, 32, 1); // creates the loss sum
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int step = 2; step <= 51; step++) recorder.StepCompleted(FitRecorder.StepStarting(), loss, 32, step);
        long after = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        Assert.Equal(before, after);
        recorder.FitCompleted();
        Assert.Equal(52, File.ReadAllLines(csv.MetricsFile).Length);
    }

    sealed class BrokenLogger : IExperimentLogger
    {
        public string Name => "broken";
        public void LogHyperparameters(IReadOnlyDictionary<string, object?> hyperparameters) => throw new IOException("disk full");
        public void LogMetrics(IReadOnlyDictionary<string, double> metrics, long step) => throw new IOException("disk full");
        public void Flush() => throw new IOException("disk full");
        public void Finish(RunStatus status) => throw new IOException("disk full");
        public void Dispose() { }
    }

    sealed class RankOne : IProcessGroup
    {
        public int Rank => 1;
        public int LocalRank => 1;
        public int WorldSize => 2;
        public void AllReduce(Tensor tensor, ReduceOp op = ReduceOp.Sum) => throw new NotSupportedException();
        public void Broadcast(Tensor tensor, int root = 0) => throw new NotSupportedException();
        public Tensor AllGather(Tensor tensor) => throw new NotSupportedException();
        public void Barrier() => throw new NotSupportedException();
        public void Dispose() { }
    }
}
