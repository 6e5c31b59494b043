using System.Text.Json;
using Unified.Testing;
using Xunit;

namespace Unified.Cli.Tests;

[Collection(TorchCollection.Name)]
public sealed class BenchCommandTests
{
    [Fact]
    public void BenchOverhead_WithJson_ReportsBothRatiosFromPositiveTimes()
    {
        var run = CliRun.Of("bench", "overhead", "--rounds", "3", "--skip-malloc", "--json");

        Assert.True(run.ExitCode == 0, run.Error);
        var json = run.Json();
        foreach (string key in new[] { "raw_seconds", "lightning_seconds", "ignite_seconds" })
            Assert.True(json.GetProperty(key).GetDouble() > 0, key);
        Assert.Equal(json.GetProperty("lightning_seconds").GetDouble() / json.GetProperty("raw_seconds").GetDouble(),
            json.GetProperty("lightning_ratio").GetDouble(), 9);
        Assert.Equal(json.GetProperty("ignite_seconds").GetDouble() / json.GetProperty("raw_seconds").GetDouble(),
            json.GetProperty("ignite_ratio").GetDouble(), 9);
    }

    [Fact]
    public void BenchOverhead_WithTooFewRounds_ExitsWithTwo()
    {
        var run = CliRun.Of("bench", "overhead", "--rounds", "2");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--rounds", run.Error);
    }

    // Shape only (timings belong to the benchmark): every handler the profiler timed, with its calls per epoch of 3
    // iterations, the groups of bench handlers' report, and no checkpoint folder left behind.
    [Fact]
    public void BenchHandlers_WithJson_ReportsEveryHandlerPerIterationAndRemovesItsCheckpoints()
    {
        var before = Directory.GetDirectories(Path.GetTempPath(), "unified-bench-handlers-*").ToHashSet();

        var run = CliRun.Of("bench", "handlers", "--rounds", "1", "--batches", "3", "--json");

        Assert.True(run.ExitCode == 0, run.Error);
        var json = run.Json();
        Assert.Equal(3, json.GetProperty("iterations").GetInt32());
        foreach (string key in new[] { "iteration_handlers_ms", "handlers_ms_per_iteration", "checkpoint_ms_per_save", "epoch_seconds_without_handlers", "epoch_seconds_with_handlers" })
            Assert.Equal(JsonValueKind.Number, json.GetProperty(key).ValueKind);
        Assert.Equal(["progress_bar", "running_average", "checkpoint", "trainer"], json.GetProperty("by_handler").EnumerateObject().Select(p => p.Name));
        var handlers = json.GetProperty("handlers").EnumerateArray()
            .ToDictionary(h => (h.GetProperty("event").GetString(), h.GetProperty("handler").GetString()), h => h.GetProperty("calls").GetInt64());
        Assert.Equal(1, handlers[("EPOCH_COMPLETED", "Checkpoint.Handle")]);
        // The running average's update and compute, and the progress bar's step, run every iteration.
        Assert.Equal(2, handlers.Count(h => h.Key.Item1 == "ITERATION_COMPLETED" && h.Key.Item2!.StartsWith("MetricAttachment.", StringComparison.Ordinal) && h.Value == 3));
        Assert.Equal(1, handlers.Count(h => h.Key.Item1 == "ITERATION_COMPLETED" && h.Key.Item2!.StartsWith("ProgressBar.", StringComparison.Ordinal) && h.Value == 3));
        Assert.Subset(before, Directory.GetDirectories(Path.GetTempPath(), "unified-bench-handlers-*").ToHashSet());
    }

    [Fact]
    public void BenchHandlers_WithNoRounds_ExitsWithTwo()
    {
        var run = CliRun.Of("bench", "handlers", "--rounds", "0");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--rounds", run.Error);
    }

    // Keys only: DESIGN.md's contract for 'unified bench'; timings belong to the benchmark, not to pass/fail tests.
    [Fact]
    public void Bench_QuickWithJson_ReportsEverySuiteKey()
    {
        var run = CliRun.Of("bench", "--quick", "--json");

        Assert.True(run.ExitCode == 0, run.Error);
        var json = run.Json();
        foreach (string model in new[] { "mlp", "cnn" })
            foreach (string key in new[] { "lightning_ratio", "ignite_ratio" })
                Assert.Equal(JsonValueKind.Number, json.GetProperty(model).GetProperty(key).ValueKind);
        foreach (string key in new[] { "lightning", "ignite" })
            Assert.Equal(JsonValueKind.Number, json.GetProperty("step_overhead_us").GetProperty(key).ValueKind);
        Assert.Equal(JsonValueKind.Number, json.GetProperty("startup_seconds").ValueKind);
        Assert.Equal(JsonValueKind.Number, json.GetProperty("peak_rss_ratio").ValueKind);
        // Present exactly when /usr/bin/python3 has torch (scripts/test.sh installs python3-torch, so under CI it must).
        bool hasTorch = DebianPython.Unavailable("torch") is null;
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)) Assert.True(hasTorch, "CI=true without python3-torch");
        var expected = hasTorch ? JsonValueKind.Number : JsonValueKind.Null;
        Assert.Equal(expected, json.GetProperty("pytorch_seconds").ValueKind);
        Assert.Equal(expected, json.GetProperty("pytorch_ratio").ValueKind);
    }

    // The chart path on the quick suite (its numbers mean nothing): a well-formed PNG of the chart's size; a second run
    // naming the same file is refused before measuring anything and leaves the file as it was (a user's data is sacred).
    [Fact]
    public void Bench_QuickWithChart_WritesAPngAndNeverReplacesIt()
    {
        using var temp = new TempDirectory();
        string chart = temp.File("bench.png");

        var run = CliRun.Of("bench", "--quick", "--json", "--chart", chart);

        Assert.True(run.ExitCode == 0, run.Error);
        var png = PngFile.Read(chart);
        Assert.Equal((Bench.SuiteChart.Width, Bench.SuiteChart.Height), (png.Width, png.Height));
        Assert.Equal(JsonValueKind.Number, run.Json().GetProperty("mlp").GetProperty("lightning_ratio").ValueKind);
        byte[] written = File.ReadAllBytes(chart);

        var again = CliRun.Of("bench", "--quick", "--chart", chart);

        Assert.Equal(2, again.ExitCode);
        Assert.Contains($"--chart '{chart}' exists", again.Error);
        Assert.Equal("", again.Output);
        Assert.Equal(written, File.ReadAllBytes(chart));
        Assert.Equal(["bench.png"], temp.FileNames());
    }
}
