using Unified.Core.Logging;
using Unified.Core.Logging.Csv;
using Unified.Core.Logging.TensorBoard;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Ignite.Tests;

[Collection(TorchCollection.Name)]
public sealed class LoggerHandlersTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    CsvLogger Csv(string name) => new(new CsvLoggerOptions { SaveDir = temp.Path, Name = name });

    static List<string[]> Rows(CsvLogger csv) =>
        File.ReadAllText(csv.MetricsFile).Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(',')).ToList();

    [Fact]
    public void OutputHandler_LogsTheTransformedOutputWithItsTag_AtTheEngineIteration()
    {
        using var data = new SliceDataModule(trainCount: 192, validationCount: 0, batchSize: 32);
        Seed.Everything(1);
        using var module = new ClassificationModule(new DigitsMlp(), 1e-3);
        var trainer = Supervised.CreateTrainer(module, new SupervisedTrainerOptions { Accelerator = "cpu" });
        var losses = new List<double>();
        trainer.On(Events.IterationCompleted, e => losses.Add(((Tensor)e.State.Output!).to_type(ScalarType.Float64).item<double>()));
        var csv = Csv("out");
        csv.AttachOutputHandler(trainer, Events.IterationCompleted.Every(2), new OutputHandler { Tag = "training", OutputTransform = OutputHandler.ScalarOutput("loss") });
        csv.AttachRun(trainer);

        trainer.Run(data.Train, maxEpochs: 2);

        var rows = Rows(csv);
        Assert.Equal(["step", "training/loss"], rows[0]);
        Assert.Equal(["2", "4", "6", "8", "10", "12"], rows.Skip(1).Select(r => r[0]));
        Assert.Equal([losses[1], losses[3], losses[5], losses[7], losses[9], losses[11]],
            rows.Skip(1).Select(r => double.Parse(r[1], System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void EvaluatorHandler_UsesTheTrainersEpochAsItsStep_AndLogsTheChosenMetrics()
    {
        using var data = new SliceDataModule(trainCount: 128, validationCount: 64, batchSize: 32);
        Seed.Everything(1);
        using var module = new ClassificationModule(new DigitsMlp(), 1e-3);
        var trainer = Supervised.CreateTrainer(module, new SupervisedTrainerOptions { Accelerator = "cpu" });
        var evaluator = Supervised.CreateEvaluator(module, "cpu");
        var accuracies = new List<double>();
        trainer.On(Events.EpochCompleted, _ => accuracies.Add(evaluator.Run(data.Validation!).Metric("val_accuracy")));
        var csv = Csv("eval");
        csv.AttachOutputHandler(evaluator, Events.Completed, new OutputHandler
        {
            Tag = "validation", MetricNames = ["val_accuracy", "missing"], GlobalStepTransform = OutputHandler.GlobalStepFrom(trainer),
        });

        trainer.Run(data.Train, maxEpochs: 3);
        csv.Finish(RunStatus.Success);

        var rows = Rows(csv);
        Assert.Equal(["step", "validation/val_accuracy"], rows[0]);
        Assert.Equal(["1", "2", "3"], rows.Skip(1).Select(r => r[0]));
        Assert.Equal(accuracies, rows.Skip(1).Select(r => double.Parse(r[1], System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void OptimizerParamsAndWeightHistogramHandlers_WriteTheirValues()
    {
        using var data = new SliceDataModule(trainCount: 64, validationCount: 0, batchSize: 32);
        Seed.Everything(1);
        var model = new DigitsMlp();
        using var optimizer = optim.SGD(model.parameters(), 0.05);
        var trainer = Supervised.CreateTrainer(model, optimizer, (p, y) => nn.functional.cross_entropy(p, y), new SupervisedTrainerOptions { Accelerator = "cpu" });
        var tb = new TensorBoardLogger(new TensorBoardLoggerOptions { SaveDir = temp.Path });
        tb.AttachOptimizerParamsHandler(trainer, Events.IterationStarted, optimizer);
        tb.AttachWeightsHistogramHandler(trainer, Events.EpochCompleted, model, tag: "mlp");
        tb.AttachRun(trainer, new Dictionary<string, object?> { ["lr"] = 0.05 });

        trainer.Run(data.Train, maxEpochs: 1);

        var values = TfEventReader.Read(tb.EventFile).SelectMany(e => e.Values.Select(v => (e.Step, v))).ToList();
        Assert.Equal([(1L, 0.05f), (2L, 0.05f)], values.Where(x => x.v.Tag == "lr/group_0").Select(x => (x.Step, x.v.SimpleValue!.Value)));
        var histograms = values.Where(x => x.v.Histogram is not null).ToList();
        Assert.Equal(["mlp/weights/fc1.weight", "mlp/weights/fc1.bias", "mlp/weights/fc2.weight", "mlp/weights/fc2.bias"], histograms.Select(x => x.v.Tag));
        Assert.All(histograms, x => Assert.Equal(1L, x.Step));
        Assert.Contains(values, x => x.v.Tag == "_hparams_/session_end_info");
    }

    [Fact]
    public void AttachRun_FinishesWithCancellation_AndItsHandleDetachesIt()
    {
        using var data = new SliceDataModule(trainCount: 128, validationCount: 0, batchSize: 32);
        Seed.Everything(1);
        using var module = new ClassificationModule(new DigitsMlp(), 1e-3);
        var trainer = Supervised.CreateTrainer(module, new SupervisedTrainerOptions { Accelerator = "cpu" });
        var cancelled = new TensorBoardLogger(new TensorBoardLoggerOptions { SaveDir = temp.Path, Name = "a" });
        var detached = new CsvLogger(new CsvLoggerOptions { SaveDir = temp.Path, Name = "b" });
        cancelled.AttachRun(trainer, new Dictionary<string, object?> { ["x"] = 1 });
        detached.AttachRun(trainer, new Dictionary<string, object?> { ["y"] = 2 }).Remove();
        using var source = new CancellationTokenSource();
        trainer.On(Events.IterationCompleted.Once(2), _ => source.Cancel());

        Assert.Throws<OperationCanceledException>(() => trainer.Run(data.Train, maxEpochs: 1, source.Token));

        var end = TfEventReader.Read(cancelled.EventFile).SelectMany(e => e.Values).Single(v => v.Tag == "_hparams_/session_end_info");
        Assert.Equal(2UL, TfEventReader.Fields(TfEventReader.Fields(end.PluginContent!).Single(f => f.Field == 4).Bytes).Single(f => f.Field == 1).Bits);
        // Detached: the run logged no hyper-parameters into it (hparams.yaml) and flushed nothing into it (metrics.csv).
        Assert.False(File.Exists(Path.Combine(detached.LogDir, "hparams.yaml")));
        Assert.False(File.Exists(detached.MetricsFile));
        detached.Finish(RunStatus.Success);
    }
}
