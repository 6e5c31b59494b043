using Unified.Core.Logging;
using Unified.Core.Logging.Csv;
using Unified.Testing;
using Xunit;

namespace Unified.Core.Tests;

/// <summary>
/// Evaluation metrics to the loggers as Lightning 2.x's logger connector sends them
/// (trainer/connectors/logger_connector/logger_connector.py): per batch <c>update_eval_step_metrics</c> at the batches
/// seen (loops/evaluation_loop.py <c>_seen_batches_per_dataloader</c>), at the end <c>log_eval_end_metrics</c> →
/// <c>log_metrics</c> with step None: <c>epoch</c> added, step = <c>_batches_that_stepped</c>, or a logged <c>step</c>.
/// </summary>
public sealed class EvaluationRecorderTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    CsvLogger NewCsv() => new(new CsvLoggerOptions { SaveDir = temp.Path, Name = null, Version = "" });

    [Fact]
    public void BatchCompleted_LogsStepValuesAtTheBatchesSeenBefore_AndCountsABatchThatLoggedNothing()
    {
        using var csv = NewCsv();
        var recorder = new EvaluationRecorder(new FitRecorderOptions { Loggers = [csv] });

        recorder.BatchCompleted(() => new Dictionary<string, double> { ["val_loss_step"] = 0.5 });
        recorder.BatchCompleted(() => new Dictionary<string, double>()); // `if not metrics: return`
        recorder.BatchCompleted(null);
        recorder.BatchCompleted(() => new Dictionary<string, double> { ["val_loss_step"] = 0.25 });
        recorder.Finish(RunStatus.Success);

        Assert.Equal(4, recorder.BatchesSeen);
        Assert.Equal("step,val_loss_step\r\n0,0.5\r\n3,0.25\r\n", File.ReadAllText(csv.MetricsFile));
    }

    [Fact]
    public void RunCompleted_AddsTheEpochAtTheGlobalStep_OrLogsAtALoggedStepWithoutIt()
    {
        using var csv = NewCsv();
        var recorder = new EvaluationRecorder(new FitRecorderOptions { Loggers = [csv] });

        recorder.RunCompleted(new Dictionary<string, double> { ["val_loss"] = 0.5 }, epoch: 3, globalStep: 40);
        recorder.RunCompleted(new Dictionary<string, double> { ["test_loss"] = 0.25, ["step"] = 7 }, epoch: 3, globalStep: 40);
        recorder.RunCompleted(new Dictionary<string, double>(), epoch: 3, globalStep: 40);

        Assert.Equal("epoch,step,test_loss,val_loss\r\n3,40,,0.5\r\n,7,0.25,\r\n", File.ReadAllText(csv.MetricsFile));
    }

    [Fact]
    public void ALoggerThatFails_IsCountedAndWarned_NeverThrown()
    {
        // metrics.csv of another run: the logger refuses to flush into it.
        File.WriteAllText(Path.Combine(temp.Path, CsvLogger.MetricsFileName), "x\r\n");
        var logs = new RecordingLoggerFactory();
        using var csv = NewCsv();
        var recorder = new EvaluationRecorder(new FitRecorderOptions { Loggers = [csv], LoggerFactory = logs });

        recorder.RunCompleted(new Dictionary<string, double> { ["val_loss"] = 0.5 }, epoch: 0, globalStep: 0);
        recorder.Failed(new OperationCanceledException());

        Assert.Equal(2, recorder.LoggerFailures); // the flush and the finish
        Assert.Equal(2, logs.Entries.Count(e => e.EventId.Name == "ExperimentLoggerFailed"));
        Assert.Equal("x\r\n", File.ReadAllText(csv.MetricsFile));
    }

    [Fact]
    public void OnRankOne_NothingIsLogged()
    {
        using var csv = NewCsv();
        var groups = ThreadProcessGroup.Create(2);
        var recorder = new EvaluationRecorder(new FitRecorderOptions { Loggers = [csv], ProcessGroup = groups[1] });

        recorder.BatchCompleted(() => throw new InvalidOperationException("per-step values are not read where nothing logs"));
        recorder.RunCompleted(new Dictionary<string, double> { ["val_loss"] = 0.5 }, epoch: 0, globalStep: 0);
        recorder.Finish(RunStatus.Success);

        Assert.False(recorder.Logs);
        Assert.Equal(1, recorder.BatchesSeen);
        Assert.False(File.Exists(csv.MetricsFile));
        foreach (var g in groups) g.Dispose();
    }

    [Fact]
    public void AFitsEvaluation_SharesItsLoggers_AndCountsOnAcrossValidationRuns()
    {
        using var csv = NewCsv();
        using var recorder = new FitRecorder(new FitRecorderOptions { Loggers = [csv] });

        for (int run = 0; run < 2; run++)
            for (int batch = 0; batch < 2; batch++)
                recorder.Evaluation.BatchCompleted(() => new Dictionary<string, double> { ["val_loss_step"] = run + batch / 4.0 });
        recorder.FitCompleted();

        Assert.Equal("step,val_loss_step\r\n0,0.0\r\n1,0.25\r\n2,1.0\r\n3,1.25\r\n", File.ReadAllText(csv.MetricsFile));
    }
}
