using System.Text.Json;
using Unified.Core.Logging;
using Unified.Core.Logging.Csv;
using Unified.Core.Logging.TensorBoard;
using Unified.Testing;
using Xunit;

namespace Unified.Core.Tests;

/// <summary>A resumed run keeps the history up to its checkpoint's step (issue 10): CSV rows, TensorBoard purge markers.</summary>
public sealed class LoggerResumeTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    CsvLogger Csv() => new(new CsvLoggerOptions { SaveDir = temp.Path, Name = null, Version = "" });

    [Fact]
    public void Csv_Resume_KeepsTheRowsUpToTheStep_DropsTheLaterOnes_AndAppends()
    {
        using (var first = Csv())
        {
            first.LogMetrics(new Dictionary<string, double> { ["train_loss_step"] = 0.5 }, 50);
            first.LogMetrics(new Dictionary<string, double> { ["val_loss"] = 0.25, ["epoch"] = 0 }, 125);
            first.LogMetrics(new Dictionary<string, double> { ["train_loss_step"] = 0.2 }, 150); // after the checkpoint: orphaned
            first.Finish(RunStatus.Cancelled);
        }

        using var resumed = Csv();
        resumed.Resume(125);
        resumed.LogMetrics(new Dictionary<string, double> { ["train_loss_step"] = 0.3, ["lr"] = 1e-3 }, 150);
        resumed.Finish(RunStatus.Success);

        Assert.Equal(
            "epoch,lr,step,train_loss_step,val_loss\r\n" +
            ",,50,0.5,\r\n" +
            "0,,125,,0.25\r\n" +
            ",0.001,150,0.3,\r\n",
            File.ReadAllText(resumed.MetricsFile));
    }

    [Fact]
    public void Csv_ResumeOfAFinishedRun_LeavesTheFileAsItWas()
    {
        using (var first = Csv())
        {
            first.LogMetrics(new Dictionary<string, double> { ["val_loss"] = 0.25, ["epoch"] = 0 }, 125);
            first.Finish(RunStatus.Success);
        }
        string before = File.ReadAllText(Path.Combine(temp.Path, "metrics.csv"));
        var written = File.GetLastWriteTimeUtc(Path.Combine(temp.Path, "metrics.csv"));

        using var resumed = Csv();
        resumed.Resume(125);
        resumed.Finish(RunStatus.Success);

        Assert.Equal(before, File.ReadAllText(resumed.MetricsFile));
        Assert.Equal(written, File.GetLastWriteTimeUtc(resumed.MetricsFile));
    }

    [Fact]
    public void Csv_IntoAnotherRunsFolder_WithoutResume_RefusesToOverwrite()
    {
        File.WriteAllText(Path.Combine(temp.Path, "metrics.csv"), "a,step\r\n1.0,3\r\n");
        using var csv = Csv();
        csv.LogMetrics(new Dictionary<string, double> { ["a"] = 2 }, 0);

        var refused = Assert.Throws<IOException>(csv.Flush);

        Assert.Contains("another run", refused.Message);
        Assert.Equal("a,step\r\n1.0,3\r\n", File.ReadAllText(Path.Combine(temp.Path, "metrics.csv")));
    }

    [Fact]
    public void Csv_Resume_ReadsQuotedCellsAsPythonsCsvWritesThem()
    {
        File.WriteAllText(Path.Combine(temp.Path, "metrics.csv"), "\"a,b\",step\r\n\"x \"\"y\"\"\",3\r\n2.0,9\r\n");
        using var csv = Csv();
        csv.Resume(5);
        csv.Finish(RunStatus.Success);

        Assert.Equal("\"a,b\",step\r\n\"x \"\"y\"\"\",3\r\n", File.ReadAllText(csv.MetricsFile));
    }

    [Fact]
    public void TensorBoard_Resume_WritesWhatSummaryWriterWithPurgeStepWrites()
    {
        string eventFile;
        using (var tb = new TensorBoardLogger(new TensorBoardLoggerOptions { SaveDir = temp.Path, Name = null, Version = "" }))
        {
            tb.Resume(200);
            tb.LogMetrics(new Dictionary<string, double> { ["loss"] = 0.5 }, 201);
            eventFile = tb.EventFile;
            tb.Finish(RunStatus.Success);
        }

        var events = TfEventReader.Read(eventFile);
        // file_version at 0 (every file), then torch's purge_step pair at 201: file_version and SessionLog{START}.
        Assert.Equal((0L, "brain.Event:2"), (events[0].Step, events[0].FileVersion));
        Assert.Equal((201L, "brain.Event:2"), (events[1].Step, events[1].FileVersion));
        Assert.Equal(201L, events[2].Step);
        Assert.Equal(201L, events[3].Step);
    }

    [SkippableFact]
    public void TensorBoard_PurgeMarker_DecodesAsASessionLogStartInPython()
    {
        DebianPython.SkipUnlessAvailable("google.protobuf");
        using (var tb = new TensorBoardLogger(new TensorBoardLoggerOptions { SaveDir = temp.Path, Name = null, Version = "" }))
        {
            tb.Resume(200);
            tb.Finish(RunStatus.Success);
        }

        var (code, output, error) = DebianPython.Run(Path.Combine(DebianPython.RepositoryRoot, "scripts", "read_tfevents.py"), temp.Path);

        Assert.True(code == 0, error);
        var start = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .Single(e => e.TryGetProperty("session_log", out _));
        Assert.Equal("START", start.GetProperty("session_log").GetString());
        Assert.Equal(201, start.GetProperty("step").GetInt64());
    }
}
