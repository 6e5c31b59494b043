using System.Diagnostics;
using System.Text.Json;
using Unified.Cli.Launch;
using Unified.Testing;
using Xunit;

namespace Unified.Cli.Tests;

/// <summary><c>unified fit --devices N</c> and <c>unified fit</c> under an external mpirun: two ranks on this machine.</summary>
public sealed class FitDevicesTests : IDisposable
{
    readonly string temp = Directory.CreateTempSubdirectory("unified-ddp-").FullName;

    public void Dispose() => Directory.Delete(temp, recursive: true);

    static string UnifiedDll => typeof(MpiLauncher).Assembly.Location;

    static JsonElement LastLineJson(string output) => JsonDocument.Parse(output.TrimEnd().Split('\n')[^1]).RootElement;

    [Fact]
    public void Devices2_TrainsOnTwoRanks_OnlyRankZeroPrintsAndWrites_AndAnExternalMpirunEndsWithTheSameWeights()
    {
        string ownDir = Path.Combine(temp, "own"), externalDir = Path.Combine(temp, "external");
        var own = CliRun.Of("fit", "--devices", "2", "--threads", "1", "--epochs", "1", "--json", "--run-dir", ownDir);

        Assert.True(own.ExitCode == 0, own.Output + own.Error);
        var json = own.Json();
        Assert.Equal(2, json.GetProperty("devices").GetInt32());
        Assert.Equal(63, json.GetProperty("steps").GetInt64()); // 8,000 samples: 4,000 per rank in batches of 64
        Assert.True(json.GetProperty("val_accuracy").GetDouble() >= 0.85, own.Output);
        Assert.Single(own.Output.Split('\n'), line => line.StartsWith('{'));
        Assert.Single(own.Output.Split('\n'), line => line.StartsWith("epoch 1/1", StringComparison.Ordinal));
        Assert.True(File.Exists(json.GetProperty("checkpoint").GetString()));

        var external = MpiRun.Start(2, UnifiedDll, ["fit", "--threads", "1", "--epochs", "1", "--json", "--run-dir", externalDir], TimeSpan.FromSeconds(120));
        Assert.True(external.ExitCode == 0, external.ToString());
        var externalJson = LastLineJson(external.Output);
        Assert.Equal(2, externalJson.GetProperty("devices").GetInt32());
        Assert.Equal(json.GetProperty("weights_sha256").GetString(), externalJson.GetProperty("weights_sha256").GetString());
    }

    [Fact]
    public void Devices2_WithLabelsOutOfRange_OneRankReportsOneLinePrefixedWithItsRank()
    {
        var (images, labels) = Unified.Core.Tests.IdxFixture.WritePair(temp, "bad", count: 100, rows: 28, columns: 28);
        byte[] bytes = File.ReadAllBytes(labels);
        bytes[^3] = 10;
        File.WriteAllBytes(labels, bytes);

        var run = CliRun.Of("fit", "--devices", "2", "--data", images, "--run-dir", Path.Combine(temp, "bad-run"));

        Assert.Equal(1, run.ExitCode);
        var errors = run.Error.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 1, run.Error);
        Assert.StartsWith("error: rank 0 of 2: ", errors[0]);
        Assert.Contains("label 10 at sample 97", errors[0]);
        Assert.False(Directory.Exists(Path.Combine(temp, "bad-run")));
    }

    [Fact]
    public void RankEnvironment_WithMallocTuningOff_PassesTheSwitchAndNoMallocSettings()
    {
        string? saved = Environment.GetEnvironmentVariable("UNIFIED_MALLOC_TUNING");
        Environment.SetEnvironmentVariable("UNIFIED_MALLOC_TUNING", "0");
        try
        {
            var environment = MpiLauncher.RankEnvironment();
            Assert.Equal("0", environment["UNIFIED_MALLOC_TUNING"]);
            Assert.DoesNotContain(environment.Keys, k => k.StartsWith("MALLOC_", StringComparison.Ordinal));
        }
        finally
        {
            Environment.SetEnvironmentVariable("UNIFIED_MALLOC_TUNING", saved);
        }
        Assert.Contains("MALLOC_MMAP_MAX_", MpiLauncher.RankEnvironment().Keys);
    }

    [Fact]
    public void Devices3_UnderAnExternalMpirunOfTwo_FailsSayingHowToLaunch()
    {
        var run = MpiRun.Start(2, UnifiedDll, ["fit", "--devices", "3", "--epochs", "1", "--run-dir", Path.Combine(temp, "bad")], TimeSpan.FromSeconds(120));
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("need 3 processes", run.Error);
        Assert.Contains("mpirun -np 3", run.Error);
    }

    [Fact]
    public async Task Devices2_Sigterm_StopsBothRanksTogetherWithTheInterruptedExitCode()
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { UnifiedDll, "fit", "--devices", "2", "--threads", "1", "--epochs", "200", "--run-dir", Path.Combine(temp, "stop") })
            start.ArgumentList.Add(arg);
        using var fit = Process.Start(start)!;
        var error = fit.StandardError.ReadToEndAsync();
        try
        {
            var deadline = Stopwatch.StartNew();
            while (fit.StandardOutput.ReadLine() is { } line && !line.StartsWith("epoch 1/", StringComparison.Ordinal))
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(90), "no epoch finished in 90 s");
            var output = fit.StandardOutput.ReadToEndAsync();
            using (var kill = Process.Start("kill", ["-TERM", fit.Id.ToString()])) kill.WaitForExit();
            Assert.True(fit.WaitForExit(TimeSpan.FromSeconds(30)), "the ranks did not stop within 30 s of SIGTERM");
            Assert.Equal(ExitCodes.Interrupted, fit.ExitCode);
            Assert.Equal(2, (await error).Split('\n').Count(l => l.Contains("error: interrupted", StringComparison.Ordinal)));
            Assert.DoesNotContain("epoch 200/200", await output);
        }
        finally
        {
            if (!fit.HasExited) fit.Kill(entireProcessTree: true);
        }
    }
}
