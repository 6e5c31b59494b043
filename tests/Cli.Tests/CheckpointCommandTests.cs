using Unified.Core.Checkpointing;
using Xunit;

namespace Unified.Cli.Tests;

/// <summary><c>unified fit</c>'s checkpoints: SIGTERM / SIGINT save and exit 143 / 130, --resume reaches the uninterrupted weights, bad checkpoints fail clearly.</summary>
[Collection(TorchCollection.Name)]
public sealed class CheckpointCommandTests : IDisposable
{
    readonly string temp = Directory.CreateTempSubdirectory("unified-ckpt-").FullName;

    public void Dispose() => Directory.Delete(temp, recursive: true);

    static string[] Fit(string framework, string runDir, params string[] extra) =>
        ["fit", "--framework", framework, "--threads", "1", "--epochs", "2", "--max-steps", "140", "--run-dir", runDir, "--json", .. extra];

    static readonly Dictionary<string, string> SlowSaves = new() { ["UNIFIED_TEST_ATOMIC_WRITE_DELAY_MS"] = "200" };

    static async Task WaitForFileAsync(string path, ChildFit child)
    {
        for (int i = 0; i < 1500 && !File.Exists(path); i++)
        {
            Assert.False(child.HasExited, $"unified exited before writing {path}:\n{child.Error}");
            await Task.Delay(20);
        }
        Assert.True(File.Exists(path), $"{path} was not written within 30 s");
    }

    [Theory]
    [InlineData("lightning", 15, 143)]
    [InlineData("ignite", 15, 143)]
    [InlineData("lightning", 2, 130)]
    public async Task Fit_OnAStopSignal_SavesAResumableCheckpointExitsWithTheSignalsCode_AndResumesToTheSameWeights(string framework, int signal, int expectedCode)
    {
        using var baseline = ChildFit.Start(Fit(framework, Path.Combine(temp, "full")));
        Assert.True(baseline.WaitForExit(TimeSpan.FromMinutes(2)) == 0, $"uninterrupted run failed:\n{baseline.Output}\n{baseline.Error}");

        string runDir = Path.Combine(temp, "stopped");
        // The whole fit takes a fraction of a second; slow saves (timing only) keep the signal from landing after it ended.
        using (var child = ChildFit.Start(Fit(framework, runDir, "--ckpt-every-n-steps", "10"), SlowSaves))
        {
            await WaitForFileAsync(Path.Combine(runDir, "last.ckpt"), child);
            child.Signal(signal);
            int code = child.WaitForExit(TimeSpan.FromMinutes(1));
            Assert.True(code == expectedCode, $"exit code {code}, expected {expectedCode}:\n{child.Output}\n{child.Error}");
            Assert.Contains("--resume", child.Error);
        }
        using (var contents = CheckpointFile.Load(Path.Combine(runDir, "last.ckpt")))
            Assert.Contains("model", contents.Parts.Keys);

        using var resumed = ChildFit.Start(Fit(framework, runDir, "--resume", Path.Combine(runDir, "last.ckpt")));
        Assert.True(resumed.WaitForExit(TimeSpan.FromMinutes(2)) == 0, $"resumed run failed:\n{resumed.Output}\n{resumed.Error}");

        Assert.Equal(baseline.Json().GetProperty("weights_sha256").GetString(), resumed.Json().GetProperty("weights_sha256").GetString());
        Assert.Equal(140, resumed.Json().GetProperty("steps").GetInt64());
    }

    [Fact]
    public async Task Fit_OnTwoRanks_StoppedBySigterm_ResumesOnTwoRanksToTheSameWeights()
    {
        string[] Ddp(string runDir, params string[] extra) =>
            ["fit", "--devices", "2", "--threads", "1", "--epochs", "2", "--max-steps", "90", "--run-dir", runDir, "--json", .. extra];
        using var baseline = ChildFit.Start(Ddp(Path.Combine(temp, "ddp-full")));
        Assert.True(baseline.WaitForExit(TimeSpan.FromMinutes(3)) == 0, $"uninterrupted run failed:\n{baseline.Output}\n{baseline.Error}");

        string runDir = Path.Combine(temp, "ddp-stopped");
        using (var child = ChildFit.Start(Ddp(runDir, "--ckpt-every-n-steps", "10"), SlowSaves))
        {
            await WaitForFileAsync(Path.Combine(runDir, "last.ckpt"), child);
            child.Signal(15);
            int code = child.WaitForExit(TimeSpan.FromMinutes(1));
            // The launcher forwards the stop to both ranks, which stop at the same step, save once (rank 0) and exit 130.
            Assert.True(code == ExitCodes.Interrupted, $"exit code {code}:\n{child.Output}\n{child.Error}");
        }
        using var resumed = ChildFit.Start(Ddp(runDir, "--resume", Path.Combine(runDir, "last.ckpt")));
        Assert.True(resumed.WaitForExit(TimeSpan.FromMinutes(3)) == 0, $"resumed run failed:\n{resumed.Output}\n{resumed.Error}");

        Assert.Equal(baseline.Json().GetProperty("weights_sha256").GetString(), resumed.Json().GetProperty("weights_sha256").GetString());
        Assert.Equal(90, resumed.Json().GetProperty("steps").GetInt64());
    }

    [Theory]
    [InlineData("lightning")]
    [InlineData("ignite")]
    public void Fit_StoppedByMaxStepsMidEpoch_ThenResumedToMoreEpochs_EndsWithTheUninterruptedWeights(string framework)
    {
        string Sha(CliRun run)
        {
            Assert.True(run.ExitCode == 0, run.Error);
            return run.Json().GetProperty("weights_sha256").GetString()!;
        }
        string full = Sha(CliRun.Of("fit", "--framework", framework, "--epochs", "3", "--json", "--run-dir", Path.Combine(temp, "full")));
        string runDir = Path.Combine(temp, "capped");
        var capped = CliRun.Of("fit", "--framework", framework, "--epochs", "3", "--max-steps", "200", "--ckpt-every-n-steps", "100", "--json", "--run-dir", runDir);
        Assert.Equal(200, capped.Json().GetProperty("steps").GetInt64());

        var resumed = CliRun.Of("fit", "--framework", framework, "--epochs", "3", "--json", "--resume", Path.Combine(runDir, "last.ckpt"));

        Assert.Equal(full, Sha(resumed));
        Assert.Equal(375, resumed.Json().GetProperty("steps").GetInt64());
    }

    [Fact]
    public void Fit_WithAMissingResumeFile_ExitsWithTwoAndSaysWhatToPass()
    {
        var run = CliRun.Of("fit", "--resume", Path.Combine(temp, "nope.ckpt"), "--run-dir", Path.Combine(temp, "r"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("last.ckpt", run.Error);
    }

    [Fact]
    public void Fit_ResumingADamagedCheckpoint_ExitsWithOneAndSaysItIsDamaged()
    {
        string runDir = Path.Combine(temp, "damaged");
        Assert.Equal(0, CliRun.Of("fit", "--epochs", "1", "--max-steps", "2", "--run-dir", runDir).ExitCode);
        string path = Path.Combine(runDir, "last.ckpt");
        byte[] bytes = File.ReadAllBytes(path);
        bytes[^5] ^= 0x10;
        File.WriteAllBytes(path, bytes);

        var run = CliRun.Of("fit", "--epochs", "1", "--resume", path);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("damaged", run.Error);
        Assert.DoesNotContain("   at ", run.Error);
    }

    [Fact]
    public void Fit_ResumingACheckpointOfAnotherModel_ExitsWithTwo_NamesBothModels_AndLeavesTheFolderAsItWas()
    {
        string runDir = Path.Combine(temp, "mlp");
        Assert.Equal(0, CliRun.Of("fit", "--epochs", "1", "--max-steps", "2", "--run-dir", runDir).ExitCode);
        var before = BadInputCatalogue.Hashes(runDir);

        var run = CliRun.Of("fit", "--model", "cnn", "--epochs", "1", "--resume", Path.Combine(runDir, "last.ckpt"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--model mlp (requested cnn)", run.Error);
        Assert.Equal(before, BadInputCatalogue.Hashes(runDir));
    }
}
