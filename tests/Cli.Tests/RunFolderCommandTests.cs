using System.Diagnostics;
using Unified.Core.Checkpointing;
using Unified.Core.Runs;
using Xunit;

namespace Unified.Cli.Tests;

/// <summary>
/// A run folder belongs to one run (issue 10): history survives a resume, a second process is refused while a run is
/// alive, and a signal ends the process promptly when no step is running.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class RunFolderCommandTests : IDisposable
{
    readonly string temp = Directory.CreateTempSubdirectory("unified-runs-").FullName;

    public void Dispose() => Directory.Delete(temp, recursive: true);

    static readonly Dictionary<string, string> SlowSaves = new() { ["UNIFIED_TEST_ATOMIC_WRITE_DELAY_MS"] = "200" };

    static List<Dictionary<string, string>> Rows(string metricsCsv)
    {
        var lines = File.ReadAllLines(metricsCsv);
        var header = lines[0].Split(',');
        return lines.Skip(1).Select(l => header.Zip(l.Split(',')).Where(p => p.Second.Length > 0).ToDictionary(p => p.First, p => p.Second)).ToList();
    }

    [Fact]
    public async Task SigintMidEpochTwo_ThenResume_MetricsCsvHasEveryEpochsRowsExactlyOnce()
    {
        string runDir = Path.Combine(temp, "run"), metrics = Path.Combine(runDir, "metrics.csv");
        string[] fit = ["fit", "--threads", "1", "--epochs", "3", "--ckpt-every-n-steps", "10", "--run-dir", runDir, "--json"];
        long stoppedAt;
        using (var child = ChildFit.Start(fit, SlowSaves))
        {
            // Epoch 1's row is flushed at its end (step 125): the signal lands in epoch 2.
            for (int i = 0; i < 3000 && !(File.Exists(metrics) && File.ReadAllText(metrics).Contains(",125,")); i++)
            {
                Assert.False(child.HasExited, child.Error);
                await Task.Delay(20);
            }
            await Task.Delay(600); // a few of epoch 2's steps (its saves take 200 ms each)
            child.Signal(2);
            Assert.Equal(ExitCodes.Interrupted, child.WaitForExit(TimeSpan.FromMinutes(1)));
        }
        using (var saved = CheckpointFile.Load(Path.Combine(runDir, "last.ckpt")))
            stoppedAt = saved.Part("kernel").Value<long>("global_step");
        Assert.InRange(stoppedAt, 126, 249);

        using var resumed = ChildFit.Start([.. fit, "--resume", Path.Combine(runDir, "last.ckpt")]);
        Assert.True(resumed.WaitForExit(TimeSpan.FromMinutes(2)) == 0, resumed.Error);

        var rows = Rows(metrics);
        Assert.Equal(["0", "1", "2"], rows.Where(r => r.ContainsKey("val_loss")).Select(r => r["epoch"]));
        Assert.Equal(["125", "250", "375"], rows.Where(r => r.ContainsKey("val_loss")).Select(r => r["step"]));
        // train_loss_step every 50 steps, each once, none lost before the checkpoint, none doubled after it.
        Assert.Equal(["50", "100", "150", "200", "250", "300", "350"], rows.Where(r => r.ContainsKey("train_loss_step")).Select(r => r["step"]));
    }

    [Fact]
    public async Task ASecondProcessOnALiveRunFolder_IsRefused_AndTheLockDiesWithTheFirst()
    {
        string runDir = Path.Combine(temp, "busy");
        using (var first = ChildFit.Start(["fit", "--threads", "1", "--epochs", "30", "--ckpt-every-n-steps", "5", "--run-dir", runDir], SlowSaves))
        {
            for (int i = 0; i < 1500 && !File.Exists(Path.Combine(runDir, "last.ckpt")); i++)
            {
                Assert.False(first.HasExited, first.Error);
                await Task.Delay(20);
            }
            var before = SettledFiles(runDir);

            var second = CliRun.Of("fit", "--epochs", "1", "--resume", Path.Combine(runDir, "last.ckpt"));

            Assert.Equal(ExitCodes.Usage, second.ExitCode);
            Assert.Contains("is in use by another running unified process", second.Error);
            first.Kill();
            first.WaitForExit(TimeSpan.FromMinutes(1));
            Assert.Equal(before, SettledFiles(runDir).Where(before.Contains));
        }
        using var claimed = RunFolder.ClaimExisting(runDir); // SIGKILL released it
    }

    // The live run rewrites its checkpoints every few steps (a hidden temp file, then a rename): only the names of
    // its settled files can be compared, and a temp file in flight is neither readable nor lasting.
    static List<string> SettledFiles(string folder) =>
        [.. Directory.EnumerateFiles(folder).Select(Path.GetFileName).OfType<string>()
            .Where(name => name != RunFolder.LockFileName && !(name.StartsWith('.') && name.EndsWith(".tmp", StringComparison.Ordinal)))
            .Order(StringComparer.Ordinal)];

    [Theory]
    [InlineData(15, 143)]
    [InlineData(2, 130)]
    public void ASignalWhileOpeningTheData_EndsTheProcessAtOnce(int signal, int expected)
    {
        // Opening a FIFO blocks until someone writes to it: a fit waiting there runs no step that could stop it.
        string fifo = Path.Combine(temp, $"fifo{signal}-images-idx3-ubyte");
        using (var mkfifo = Process.Start("mkfifo", [fifo])) mkfifo.WaitForExit();
        File.WriteAllBytes(fifo.Replace("images-idx3", "labels-idx1"), [0, 0, 8, 1, 0, 0, 0, 1, 0]);
        using var child = ChildFit.Start(["fit", "--data", fifo, "--run-dir", Path.Combine(temp, $"never{signal}")]);
        Thread.Sleep(TimeSpan.FromSeconds(3)); // start-up: the runtime installs the handlers before the data is opened

        child.Signal(signal);

        Assert.Equal(expected, child.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Contains("before training started", child.Error);
        Assert.False(Directory.Exists(Path.Combine(temp, $"never{signal}")));
    }
}
