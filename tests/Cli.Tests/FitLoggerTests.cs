using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Unified.Core.Logging.Mlflow;
using Unified.Testing;
using Xunit;

namespace Unified.Cli.Tests;

[Collection(TorchCollection.Name)]
public sealed class FitLoggerTests : IDisposable
{
    readonly string temp = Directory.CreateTempSubdirectory("unified-cli-loggers-").FullName;

    public void Dispose() => Directory.Delete(temp, recursive: true);

    string RunDir(string name) => Path.Combine(temp, name);

    [Fact]
    public void Fit_WithCsvAndTensorBoard_WritesLightningsFilesIntoTheRunDirectory()
    {
        string dir = RunDir("both");
        var run = CliRun.Of("fit", "--epochs", "2", "--logger", "csv", "--logger", "tensorboard", "--run-dir", dir, "--json");

        Assert.True(run.ExitCode == 0, run.Error);
        var json = run.Json();
        var lines = File.ReadAllText(Path.Combine(dir, "metrics.csv")).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("epoch,step,train_loss,train_loss_step,val_accuracy,val_loss", lines[0]);
        Assert.Equal(json.GetProperty("val_accuracy").GetDouble(), double.Parse(lines[^1].Split(',')[4], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("1,250", string.Join(',', lines[^1].Split(',')[..2]));
        string hparams = File.ReadAllText(Path.Combine(dir, "hparams.yaml"));
        Assert.Contains("framework: lightning\n", hparams);
        Assert.Contains("learning_rate: 0.001\n", hparams);

        string events = Assert.Single(Directory.GetFiles(dir, "events.out.tfevents.*"));
        var scalars = TfEventReader.Read(events).SelectMany(e => e.Values.Where(v => v.Tag == "val_accuracy").Select(v => (e.Step, v.SimpleValue))).ToList();
        Assert.Equal(2, scalars.Count);
        Assert.Equal((250L, (float)json.GetProperty("val_accuracy").GetDouble()), scalars[1]);
        Assert.Contains("logger: [\"csv\", \"tensorboard\"]", File.ReadAllText(Path.Combine(dir, "config.yaml")));
    }

    [Fact]
    public void Fit_ThroughIgnite_WritesTheSameMetricsCsvAsLightning_WhichIsAlwaysWritten()
    {
        var lightning = CliRun.Of("fit", "--epochs", "1", "--run-dir", RunDir("l"));
        var ignite = CliRun.Of("fit", "--epochs", "1", "--framework", "ignite", "--logger", "csv", "--run-dir", RunDir("i"));

        Assert.True(lightning.ExitCode == 0 && ignite.ExitCode == 0, lightning.Error + ignite.Error);
        Assert.Equal(File.ReadAllText(Path.Combine(RunDir("l"), "metrics.csv")), File.ReadAllText(Path.Combine(RunDir("i"), "metrics.csv")));
    }

    [Fact]
    public void Fit_WithTheMlflowServerDown_CompletesAndWarnsOnStandardError()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        string? saved = Environment.GetEnvironmentVariable(MlflowLoggerOptions.TrackingUriVariable);
        Environment.SetEnvironmentVariable(MlflowLoggerOptions.TrackingUriVariable, $"http://127.0.0.1:{port}");
        try
        {
            var clock = Stopwatch.StartNew();
            var run = CliRun.Of("fit", "--epochs", "2", "--logger", "mlflow", "--run-dir", RunDir("down"), "--json");

            Assert.True(run.ExitCode == 0, run.Error);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(120), $"fit took {clock.Elapsed}");
            Assert.Contains($"warning: MLflow experiments/get-by-name at http://127.0.0.1:{port}/ failed after 3 attempt(s)", run.Error);
            Assert.Contains("were not delivered", run.Error);
            Assert.Equal(2, run.Json().GetProperty("epochs").GetInt32());
            Assert.True(File.Exists(Path.Combine(RunDir("down"), "metrics.csv")));
        }
        finally
        {
            Environment.SetEnvironmentVariable(MlflowLoggerOptions.TrackingUriVariable, saved);
        }
    }

    [Fact]
    public void Fit_WithMlflowButNoTrackingUri_ExitsWithTwoBeforeWritingAnything()
    {
        string? saved = Environment.GetEnvironmentVariable(MlflowLoggerOptions.TrackingUriVariable);
        Environment.SetEnvironmentVariable(MlflowLoggerOptions.TrackingUriVariable, null);
        try
        {
            var run = CliRun.Of("fit", "--logger", "mlflow", "--run-dir", RunDir("no-uri"));

            Assert.Equal(2, run.ExitCode);
            Assert.Contains("--logger mlflow", run.Error);
            Assert.Contains("MLFLOW_TRACKING_URI", run.Error);
            Assert.False(Directory.Exists(RunDir("no-uri")));
        }
        finally
        {
            Environment.SetEnvironmentVariable(MlflowLoggerOptions.TrackingUriVariable, saved);
        }
    }

    [Theory]
    [InlineData("wandb", "csv, tensorboard, mlflow")]
    [InlineData("csv,csv", "twice")]
    public void Fit_WithABadLogger_ExitsWithTwoAndSaysWhy(string logger, string expected)
    {
        var run = CliRun.Of("fit", "--logger", logger, "--run-dir", RunDir("bad"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(expected, run.Error);
    }

    [Fact]
    public void Fit_WithARunDirectoryThatCannotBeCreated_ExitsWithOne()
    {
        string file = Path.Combine(temp, "file");
        File.WriteAllText(file, "");
        var run = CliRun.Of("fit", "--logger", "csv", "--run-dir", Path.Combine(file, "run"));

        Assert.Equal(1, run.ExitCode);
        Assert.DoesNotContain("   at ", run.Error);
    }
}
