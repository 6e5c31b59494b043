using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Unified.Core.Logging;
using Unified.Core.Logging.Mlflow;
using Unified.Testing;
using Xunit;

namespace Unified.Core.Tests;

public sealed class MlflowLoggerTests : IDisposable
{
    readonly MlflowTestServer server = new();
    readonly RecordingLoggerFactory logs = new();

    public void Dispose() => server.Dispose();

    MlflowLogger NewLogger(string? uri = null, Action<MlflowLoggerOptions>? configure = null)
    {
        var options = new MlflowLoggerOptions
        {
            TrackingUri = uri ?? server.Uri, ExperimentName = "digits", RunName = "run-1",
            RequestTimeout = TimeSpan.FromSeconds(10), InitialBackoff = TimeSpan.FromMilliseconds(20), LoggerFactory = logs,
        };
        configure?.Invoke(options);
        return new MlflowLogger(options);
    }

    [Fact]
    public void FullRun_CreatesTheExperimentAndRun_LogsEverything_AndFinishes()
    {
        long before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var mlflow = NewLogger(configure: o => o.Tags["team"] = "vision");
        mlflow.LogHyperparameters(new Dictionary<string, object?>
        {
            ["lr"] = 0.001, ["model"] = "mlp", ["amsgrad"] = false, ["optimizer"] = new Dictionary<string, object?> { ["beta1"] = 0.9 },
        });
        mlflow.LogMetrics(new Dictionary<string, double> { ["train_loss"] = 0.5, ["epoch"] = 0 }, 125);
        mlflow.LogMetrics(new Dictionary<string, double> { ["val_loss"] = double.NaN }, 250);
        Assert.Empty(server.Requests); // nothing touches the network before a flush
        mlflow.Flush();
        mlflow.LogMetrics(new Dictionary<string, double> { ["train_loss"] = 0.25 }, 5_000_000_000L);
        mlflow.Finish(RunStatus.Success);

        Assert.Empty(server.Violations);
        Assert.Equal(["GET experiments/get-by-name", "POST experiments/create", "POST runs/create", "POST runs/log-batch", "POST runs/log-batch", "POST runs/update"],
            server.Requests);
        var run = Assert.Single(server.Runs.Values);
        Assert.Equal(mlflow.RunId, run.Id);
        Assert.Equal(server.Experiments["digits"], run.ExperimentId);
        Assert.Equal("FINISHED", run.Status);
        Assert.Equal("run-1", run.Name);
        Assert.InRange(run.StartTime, before - 5, run.EndTime!.Value);
        Assert.Equal("vision", run.Tags["team"]);
        Assert.Equal(new Dictionary<string, string> { ["lr"] = "0.001", ["model"] = "mlp", ["amsgrad"] = "False", ["optimizer/beta1"] = "0.9" }, run.Params);
        Assert.Equal([("train_loss", 0.5, 125L), ("epoch", 0.0, 125L), ("val_loss", double.NaN, 250L), ("train_loss", 0.25, 5_000_000_000L)],
            run.Metrics.Select(m => (m.Key, m.Value, m.Step)));
        Assert.All(run.Metrics, m => Assert.InRange(m.Timestamp, before, run.EndTime!.Value));
        Assert.Equal(0, mlflow.PendingCount);
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Warning);
    }

    [Fact]
    public void LargeBuffers_AreSentInBatchesWithinMlflowsLimits_InOrder()
    {
        server.Experiments["digits"] = "7";
        var mlflow = NewLogger();
        mlflow.LogHyperparameters(Enumerable.Range(0, 150).ToDictionary(i => $"p{i:D3}", i => (object?)i));
        mlflow.LogTags(Enumerable.Range(0, 120).ToDictionary(i => $"t{i:D3}", i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        for (int step = 0; step < 25; step++)
            mlflow.LogMetrics(Enumerable.Range(0, 100).ToDictionary(i => $"m{i:D2}", i => (double)(step * 100 + i)), step);
        mlflow.Finish(RunStatus.Success);

        Assert.Empty(server.Violations);
        Assert.DoesNotContain("POST experiments/create", server.Requests);
        Assert.All(server.Batches, b => Assert.True(b.Metrics <= 1000 && b.Params <= 100 && b.Tags <= 100 && b.Metrics + b.Params + b.Tags <= 1000, b.ToString()));
        var run = server.Runs.Values.Single();
        Assert.Equal("7", run.ExperimentId);
        Assert.Equal(150, run.Params.Count);
        Assert.Equal(120, run.Tags.Count(t => t.Key.StartsWith('t')));
        Assert.Equal(Enumerable.Range(0, 2500).Select(i => (double)i), run.Metrics.Select(m => m.Value));
        Assert.Equal(Enumerable.Range(0, 2500).Select(i => (long)(i / 100)), run.Metrics.Select(m => m.Step));
    }

    [Fact]
    public void ServerDown_FlushWarnsWithinBoundedTime_KeepsTheData_AndACoolDownSkipsTheNetwork()
    {
        int closedPort = ClosedPort();
        var mlflow = NewLogger($"http://127.0.0.1:{closedPort}", o => o.RetryCooldown = TimeSpan.FromMinutes(1));
        mlflow.LogMetrics(new Dictionary<string, double> { ["loss"] = 1 }, 1);

        var clock = Stopwatch.StartNew();
        mlflow.Flush();
        mlflow.LogMetrics(new Dictionary<string, double> { ["loss"] = 0.5 }, 2);
        mlflow.Flush(); // within the cool-down: no network at all
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"flushes took {clock.Elapsed}");

        Assert.Equal(2, mlflow.PendingCount);
        var warning = Assert.Single(logs.Entries, e => e.EventId.Name == "MlflowUnavailable");
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains($"127.0.0.1:{closedPort}", warning.Message);
        Assert.Contains("3 attempt(s)", warning.Message);

        mlflow.Finish(RunStatus.Failed);
        var lost = Assert.Single(logs.Entries, e => e.EventId.Name == "MlflowUndelivered");
        Assert.Contains("2 metric value(s)", lost.Message);
        Assert.Contains("FAILED", lost.Message);
    }

    [Fact]
    public void ServerErrors_AreRetriedWithBackOff_ThenDelivered()
    {
        server.FailNext = 2;
        var mlflow = NewLogger();
        mlflow.LogMetrics(new Dictionary<string, double> { ["loss"] = 1 }, 1);
        mlflow.Finish(RunStatus.Success);

        Assert.Empty(server.Violations);
        Assert.Equal(["GET experiments/get-by-name", "GET experiments/get-by-name", "GET experiments/get-by-name"], server.Requests.Take(3));
        Assert.Equal("FINISHED", server.Runs.Values.Single().Status);
        Assert.Single(server.Runs.Values.Single().Metrics);
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Warning);
    }

    [Fact]
    public void DataKeptWhileTheServerWasDown_IsDeliveredByALaterFlush()
    {
        server.FailNext = 3; // the first flush's three tries all fail
        var mlflow = NewLogger(configure: o => o.RetryCooldown = TimeSpan.Zero);
        mlflow.LogMetrics(new Dictionary<string, double> { ["loss"] = 1 }, 1);
        mlflow.Flush();
        Assert.Equal(1, mlflow.PendingCount);
        Assert.Null(mlflow.RunId);

        mlflow.LogMetrics(new Dictionary<string, double> { ["loss"] = 0.5 }, 2);
        mlflow.Flush();
        mlflow.Finish(RunStatus.Cancelled);

        var run = server.Runs.Values.Single();
        Assert.Equal([1.0, 0.5], run.Metrics.Select(m => m.Value));
        Assert.Equal("KILLED", run.Status);
        Assert.Empty(server.Violations);
    }

    [Fact]
    public void SlowServer_TimesOutPerRequest_WithinBoundedTime()
    {
        server.Delay = TimeSpan.FromSeconds(3);
        var mlflow = NewLogger(configure: o => { o.RequestTimeout = TimeSpan.FromMilliseconds(300); o.MaxAttempts = 2; });
        mlflow.LogMetrics(new Dictionary<string, double> { ["loss"] = 1 }, 1);

        var clock = Stopwatch.StartNew();
        mlflow.Flush();

        // Without per-request timeouts the two tries would wait 6 s for the slow server; 5 s leaves room for a loaded CI.
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(550), TimeSpan.FromSeconds(5));
        Assert.Equal(1, mlflow.PendingCount);
        Assert.Contains(logs.Entries, e => e.EventId.Name == "MlflowUnavailable" && e.Message.Contains("no answer within 0.3 s"));
    }

    [Fact]
    public void RejectedBatch_IsDroppedWithAWarning_NotResentForever()
    {
        server.RejectLogBatch = true;
        var mlflow = NewLogger();
        mlflow.LogMetrics(new Dictionary<string, double> { ["loss"] = 1 }, 1);
        mlflow.Flush();

        Assert.Equal(0, mlflow.PendingCount);
        Assert.Single(server.Requests, r => r == "POST runs/log-batch");
        Assert.Contains(logs.Entries, e => e.EventId.Name == "MlflowRejected" && e.Message.Contains("HTTP 400 INVALID_PARAMETER_VALUE"));
        mlflow.Finish(RunStatus.Success);
        Assert.Equal("FINISHED", server.Runs.Values.Single().Status);
    }

    // Lightning's MLFlowLogger.finalize calls set_terminated at every stage's end and the next stage logs into the same
    // run (trainer/call.py _call_teardown_hook; loggers/mlflow.py finalize).
    [Fact]
    public void LogMetrics_AfterFinish_LogsIntoTheSameRun_AndTheNextFinishSetsItsStatusAgain()
    {
        var mlflow = NewLogger();
        mlflow.LogMetrics(new Dictionary<string, double> { ["train_loss"] = 1 }, 8);
        mlflow.Finish(RunStatus.Success);
        string runId = mlflow.RunId!;
        long firstEnd = server.Runs[runId].EndTime!.Value;

        mlflow.LogMetrics(new Dictionary<string, double> { ["val_loss"] = 0.25 }, 8);
        mlflow.Finish(RunStatus.Failed);

        Assert.Empty(server.Violations);
        var run = Assert.Single(server.Runs.Values);
        Assert.Equal(runId, run.Id);
        Assert.Equal([("train_loss", 1.0, 8L), ("val_loss", 0.25, 8L)], run.Metrics.Select(m => (m.Key, m.Value, m.Step)));
        Assert.Equal("FAILED", run.Status);
        Assert.True(run.EndTime >= firstEnd);
        Assert.Equal(2, server.Requests.Count(r => r == "POST runs/update"));
        mlflow.Dispose();
        Assert.Throws<ObjectDisposedException>(() => mlflow.LogMetrics(new Dictionary<string, double> { ["x"] = 1 }, 9));
    }

    [Fact]
    public void KeysWithCharactersMlflowRefuses_AreCleanedAsLightningDoes()
    {
        var mlflow = NewLogger();
        mlflow.LogMetrics(new Dictionary<string, double> { ["val/acc@1"] = 1 }, 1);
        mlflow.Finish(RunStatus.Success);

        Assert.Equal("val/acc1", server.Runs.Values.Single().Metrics.Single().Key);
        Assert.Contains(logs.Entries, e => e.EventId.Name == "MlflowKeyRenamed");
    }

    [Fact]
    public void Connect_ToAClosedPort_ThrowsAClearException()
    {
        int port = ClosedPort();
        var mlflow = NewLogger($"http://127.0.0.1:{port}", o => o.MaxAttempts = 1);

        var error = Assert.Throws<MlflowException>(mlflow.Connect);
        Assert.Contains($"127.0.0.1:{port}", error.Message);
        Assert.Contains("mlflow server", error.Message);
    }

    [Fact]
    public void Connect_CreatesTheRunUpFront()
    {
        var mlflow = NewLogger();
        mlflow.Connect();

        Assert.NotNull(mlflow.RunId);
        Assert.Equal("RUNNING", server.Runs[mlflow.RunId!].Status);
        mlflow.Finish(RunStatus.Failed);
        Assert.Equal("FAILED", server.Runs[mlflow.RunId!].Status);
    }

    [Theory]
    [InlineData("file:./mlruns", "file store is deprecated")]
    [InlineData("./mlruns", "not an http:// or https:// address")]
    [InlineData("databricks", "not an http:// or https:// address")]
    public void Constructor_WithANonHttpTrackingUri_ThrowsExplainingWhy(string uri, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => NewLogger(uri));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Constructor_WithoutAnyTrackingUri_NamesTheOptionAndTheVariable()
    {
        string? saved = Environment.GetEnvironmentVariable(MlflowLoggerOptions.TrackingUriVariable);
        Environment.SetEnvironmentVariable(MlflowLoggerOptions.TrackingUriVariable, null);
        try
        {
            var error = Assert.Throws<ArgumentException>(() => new MlflowLogger(new MlflowLoggerOptions()));
            Assert.Contains("TrackingUri", error.Message);
            Assert.Contains("MLFLOW_TRACKING_URI", error.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(MlflowLoggerOptions.TrackingUriVariable, saved);
        }
    }

    static int ClosedPort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
