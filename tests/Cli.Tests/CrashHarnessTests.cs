using Unified.Core.Checkpointing;
using Xunit;
using Xunit.Abstractions;

namespace Unified.Cli.Tests;

/// <summary>
/// The crash harness: a digits fit that checkpoints every 2 steps is killed with SIGKILL at random moments, resumed each
/// time from the newest checkpoint, and must end with the weights of an uninterrupted run. Every checkpoint file on disk
/// after every kill must load. Saves are widened by the <c>UNIFIED_TEST_ATOMIC_WRITE_DELAY_MS</c> hook (a 25 ms pause
/// between writing the temporary file and renaming it), so that many kills land inside a save.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class CrashHarnessTests(ITestOutputHelper log) : IDisposable
{
    const int Kills = 20;
    readonly string temp = Directory.CreateTempSubdirectory("unified-crash-").FullName;

    public void Dispose() => Directory.Delete(temp, recursive: true);

    // 2 epochs of 125 steps: kills land in both epochs, around validation and the epoch boundary.
    static string[] Fit(string runDir, params string[] extra) =>
        ["fit", "--threads", "1", "--epochs", "2", "--max-steps", "250", "--ckpt-every-n-steps", "2", "--run-dir", runDir, "--json", .. extra];

    static readonly Dictionary<string, string> SlowSaves = new() { ["UNIFIED_TEST_ATOMIC_WRITE_DELAY_MS"] = "25" };

    [Fact]
    public async Task Fit_KilledAtRandomMomentsAndResumedEachTime_EndsWithTheUninterruptedWeights()
    {
        using var uninterrupted = ChildFit.Start(Fit(Path.Combine(temp, "uninterrupted")));
        Assert.Equal(0, uninterrupted.WaitForExit(TimeSpan.FromMinutes(2)));
        string expected = uninterrupted.Json().GetProperty("weights_sha256").GetString()!;

        string runDir = Path.Combine(temp, "crashed"), last = Path.Combine(runDir, "last.ckpt");
        var random = new Random(20261127);
        int kills = 0, killsDuringSave = 0, runs = 0;
        while (kills < Kills)
        {
            runs++;
            using var child = ChildFit.Start(File.Exists(last) ? Fit(runDir, "--resume", last) : Fit(runDir), SlowSaves);
            // Kill only after this run saved once more, so that every cycle makes progress; then at a random moment.
            var before = File.Exists(last) ? File.GetLastWriteTimeUtc(last) : DateTime.MinValue;
            while (!child.HasExited && (!File.Exists(last) || File.GetLastWriteTimeUtc(last) == before)) await Task.Delay(5);
            if (child.HasExited)
            {
                Assert.True(child.WaitForExit(TimeSpan.FromSeconds(10)) == 0, child.Error);
                break; // the run finished before we could kill it again: fine, the check below still applies
            }
            await Task.Delay(random.Next(0, 120));
            child.Kill();
            kills++;
            bool savePending = Directory.EnumerateFiles(runDir, ".*.tmp").Any();
            if (savePending) killsDuringSave++;
            foreach (string file in Directory.EnumerateFiles(runDir, "*.ckpt"))
                using (var contents = CheckpointFile.Load(file)) Assert.Contains("loop", contents.Parts.Keys);
        }
        Assert.True(kills >= Kills, $"only {kills} kills before the run finished; give it more steps");

        using var final = ChildFit.Start(Fit(runDir, "--resume", last));
        Assert.True(final.WaitForExit(TimeSpan.FromMinutes(2)) == 0, final.Error);
        log.WriteLine($"{kills} kills ({killsDuringSave} during a save) over {runs + 1} runs");

        Assert.Equal(expected, final.Json().GetProperty("weights_sha256").GetString());
        Assert.Equal(250, final.Json().GetProperty("steps").GetInt64());
        Assert.True(killsDuringSave >= 1, "no kill landed during a save");
        Assert.Empty(Directory.EnumerateFiles(runDir, ".*.tmp"));
    }
}
