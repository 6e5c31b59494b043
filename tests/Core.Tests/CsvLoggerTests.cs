using Unified.Core.Logging;
using Unified.Core.Logging.Csv;
using Unified.Testing;
using Xunit;

namespace Unified.Core.Tests;

public sealed class CsvLoggerTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void LogMetrics_WritesLightningsLayout_SortedUnionOfKeysWithStepAndEmptyCells()
    {
        using var csv = new CsvLogger(new CsvLoggerOptions { SaveDir = temp.Path, Name = "digits" });
        csv.LogMetrics(new Dictionary<string, double> { ["train_loss_step"] = 0.5 }, 49);
        csv.LogMetrics(new Dictionary<string, double> { ["val_loss"] = 0.25, ["train_loss"] = 0.375, ["epoch"] = 0 }, 125);
        csv.LogMetrics(new Dictionary<string, double> { ["val_loss"] = 1e-05, ["train_loss"] = 2, ["epoch"] = 1 }, 250);
        csv.Finish(RunStatus.Success);

        Assert.Equal(Path.Combine(temp.Path, "digits", "version_0"), csv.LogDir);
        Assert.Equal(
            "epoch,step,train_loss,train_loss_step,val_loss\r\n" +
            ",49,,0.5,\r\n" +
            "0,125,0.375,,0.25\r\n" +
            "1,250,2.0,,1e-05\r\n",
            File.ReadAllText(Path.Combine(csv.LogDir, "metrics.csv")));
    }

    [Fact]
    public void Flush_AppendsRows_AndRewritesTheHeaderWhenANewKeyAppears()
    {
        using var csv = new CsvLogger(new CsvLoggerOptions { SaveDir = temp.Path, Name = null, Version = "" });
        csv.LogMetrics(new Dictionary<string, double> { ["b"] = 1 }, 0);
        csv.Flush();
        Assert.Equal("b,step\r\n1.0,0\r\n", File.ReadAllText(csv.MetricsFile));

        csv.LogMetrics(new Dictionary<string, double> { ["b"] = 2 }, 1);
        csv.Flush();
        Assert.Equal("b,step\r\n1.0,0\r\n2.0,1\r\n", File.ReadAllText(csv.MetricsFile));

        csv.LogMetrics(new Dictionary<string, double> { ["a"] = 3 }, 2);
        csv.Flush();
        Assert.Equal("a,b,step\r\n,1.0,0\r\n,2.0,1\r\n3.0,,2\r\n", File.ReadAllText(csv.MetricsFile));
        Assert.Equal(temp.Path, csv.LogDir);
        Assert.DoesNotContain(temp.FileNames(), n => n.EndsWith(".tmp", StringComparison.Ordinal));
    }

    [Fact]
    public void LogMetrics_BuffersUntilFlushOrEveryNSteps()
    {
        using var csv = new CsvLogger(new CsvLoggerOptions { SaveDir = temp.Path, FlushLogsEveryNSteps = 3 });
        csv.LogMetrics(new Dictionary<string, double> { ["x"] = 1 }, 0);
        csv.LogMetrics(new Dictionary<string, double> { ["x"] = 2 }, 1);
        Assert.False(File.Exists(csv.MetricsFile));

        csv.LogMetrics(new Dictionary<string, double> { ["x"] = 3 }, 2);
        Assert.Equal(4, File.ReadAllLines(csv.MetricsFile).Length);
    }

    [Fact]
    public void NewLoggers_TakeTheNextVersionFolder()
    {
        Directory.CreateDirectory(Path.Combine(temp.Path, "lightning_logs", "version_3"));
        Directory.CreateDirectory(Path.Combine(temp.Path, "lightning_logs", "version_x"));
        using var first = new CsvLogger(new CsvLoggerOptions { SaveDir = temp.Path });
        using var second = new CsvLogger(new CsvLoggerOptions { SaveDir = temp.Path });

        Assert.EndsWith(Path.Combine("lightning_logs", "version_4"), first.LogDir);
        Assert.EndsWith(Path.Combine("lightning_logs", "version_5"), second.LogDir);
    }

    [Fact]
    public void LogHyperparameters_WritesHparamsYamlAsPyYamlDumpsIt()
    {
        using var csv = new CsvLogger(new CsvLoggerOptions { SaveDir = temp.Path, Name = "", Version = "run" });
        csv.LogHyperparameters(new Dictionary<string, object?>
        {
            ["lr"] = 0.001, ["batch_size"] = 64, ["model"] = "mlp", ["amsgrad"] = false, ["scheduler"] = null,
            ["weight_decay"] = 1e-05, ["precision"] = "32-true", ["note"] = "it's: fine", ["version"] = "1.0",
            ["optimizer"] = new Dictionary<string, object?> { ["name"] = "adam", ["betas"] = new[] { 0.9, 0.999 } },
            ["mode"] = DayOfWeek.Monday,
        });

        Assert.Equal(
            "amsgrad: false\n" +
            "batch_size: 64\n" +
            "lr: 0.001\n" +
            "mode: Monday\n" +
            "model: mlp\n" +
            "note: 'it''s: fine'\n" +
            "optimizer:\n" +
            "  betas:\n" +
            "  - 0.9\n" +
            "  - 0.999\n" +
            "  name: adam\n" +
            "precision: 32-true\n" +
            "scheduler: null\n" +
            "version: '1.0'\n" +
            "weight_decay: 1.0e-05\n",
            File.ReadAllText(Path.Combine(temp.Path, "run", "hparams.yaml")));
    }

    [SkippableFact]
    public void Files_ReadBackWithPythonsCsvAndYamlModules()
    {
        DebianPython.SkipUnlessAvailable("yaml");
        using var csv = new CsvLogger(new CsvLoggerOptions { SaveDir = temp.Path });
        csv.LogHyperparameters(new Dictionary<string, object?> { ["lr"] = 3e-4, ["name"] = "yes", ["layers"] = 2, ["tag"] = "a, b" });
        csv.LogMetrics(new Dictionary<string, double> { ["val,loss"] = 0.1 + 0.2, ["epoch"] = 0 }, 7);
        csv.Finish(RunStatus.Success);

        var (code, output, error) = DebianPython.Run("-c",
            "import csv, json, sys, yaml\n" +
            "rows = list(csv.DictReader(open(sys.argv[1] + '/metrics.csv', newline='')))\n" +
            "print(json.dumps({'rows': rows, 'hparams': yaml.safe_load(open(sys.argv[1] + '/hparams.yaml'))}, sort_keys=True))",
            csv.LogDir);

        Assert.True(code == 0, error);
        Assert.Equal(
            """{"hparams": {"layers": 2, "lr": 0.0003, "name": "yes", "tag": "a, b"}, "rows": [{"epoch": "0", "step": "7", "val,loss": "0.30000000000000004"}]}""",
            output.Trim());
    }

    [Fact]
    public void Constructor_WithAFolderThatCannotBeCreated_ThrowsNamingIt()
    {
        string file = temp.File("not-a-folder");
        File.WriteAllText(file, "");

        var error = Assert.Throws<IOException>(() => new CsvLogger(new CsvLoggerOptions { SaveDir = Path.Combine(file, "logs") }));
        Assert.Contains("csv logger cannot write to", error.Message);
        Assert.Contains("not-a-folder", error.Message);
        Assert.Contains("writable SaveDir", error.Message);
    }

    // Lightning finalizes its loggers at the end of every stage and the next stage logs into them again
    // (trainer/call.py _call_teardown_hook); CSVLogger.finalize only saves, and a new key rewrites the file with the
    // wider header (fabric/loggers/csv_logs.py _ExperimentWriter.save / _rewrite_with_new_header).
    [Fact]
    public void LogMetrics_AfterFinish_ContinuesTheSameFile_WideningTheHeaderForANewKey()
    {
        using var csv = new CsvLogger(new CsvLoggerOptions { SaveDir = temp.Path });
        csv.LogMetrics(new Dictionary<string, double> { ["val_loss"] = 0.5, ["epoch"] = 1 }, 8);
        csv.Finish(RunStatus.Success);
        csv.LogMetrics(new Dictionary<string, double> { ["val_loss"] = 0.25, ["epoch"] = 1 }, 8);
        csv.Finish(RunStatus.Success);
        csv.LogMetrics(new Dictionary<string, double> { ["test_loss"] = 0.125, ["epoch"] = 1 }, 8);
        csv.Finish(RunStatus.Failed);

        Assert.Equal(["metrics.csv"], Directory.GetFiles(csv.LogDir).Select(Path.GetFileName));
        Assert.Equal(
            "epoch,step,test_loss,val_loss\r\n" +
            "1,8,,0.5\r\n" +
            "1,8,,0.25\r\n" +
            "1,8,0.125,\r\n",
            File.ReadAllText(csv.MetricsFile));
    }

    [Fact]
    public void LogMetrics_AfterDispose_Throws()
    {
        var csv = new CsvLogger(new CsvLoggerOptions { SaveDir = temp.Path });
        csv.Dispose();

        Assert.Throws<ObjectDisposedException>(() => csv.LogMetrics(new Dictionary<string, double> { ["x"] = 1 }, 0));
    }
}
