using System.Diagnostics;
using Unified.Core.Runs;
using Unified.Testing;
using Xunit;

namespace Unified.Core.Tests;

public sealed class RunFolderTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void ClaimNew_RefusesAFolderWithAnotherRunsFiles_NamingThem()
    {
        string run = temp.File("run");
        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, "metrics.csv"), "step\r\n");

        var refused = Assert.Throws<RunFolderNotEmptyException>(() => RunFolder.ClaimNew(run));

        Assert.Equal(["metrics.csv"], refused.Entries);
        Assert.Contains("metrics.csv", refused.Message);
        Assert.Equal("step\r\n", File.ReadAllText(Path.Combine(run, "metrics.csv")));
    }

    [Fact]
    public void ClaimNew_CreatesTheFolder_AndItsLockRefusesASecondClaimUntilReleased()
    {
        string run = temp.File("a/b");
        using (var held = RunFolder.ClaimNew(run))
        {
            Assert.True(Directory.Exists(run));
            Assert.Throws<RunFolderInUseException>(() => RunFolder.ClaimExisting(run));
            Assert.Throws<RunFolderInUseException>(() => RunFolder.ClaimNew(run));
        }
        using var again = RunFolder.ClaimExisting(run);
        Assert.Equal(Path.GetFullPath(run), again.Path);
    }

    [Fact]
    public void TheLock_IsHeldAgainstOtherProcesses_AndReleasedWhenTheProcessDies()
    {
        string run = temp.File("run");
        Directory.CreateDirectory(run);
        string lockFile = Path.Combine(run, RunFolder.LockFileName);
        // flock(1) takes the same kind of lock .NET takes for FileShare.None, from another process.
        using var holder = Process.Start(new ProcessStartInfo("flock", ["-x", lockFile, "sleep", "30"]) { UseShellExecute = false })!;
        try
        {
            Assert.True(SpinWait.SpinUntil(() =>
            {
                try { RunFolder.ClaimExisting(run).Dispose(); return false; }
                catch (RunFolderInUseException) { return true; }
            }, TimeSpan.FromSeconds(20)), "the other process's lock was never seen");
        }
        finally
        {
            holder.Kill(entireProcessTree: true); // flock's child (sleep) holds the descriptor too
            holder.WaitForExit();
        }
        // The OS releases a dead process's lock (its child, killed with it, may take a moment to be reaped).
        Assert.True(SpinWait.SpinUntil(() =>
        {
            try { RunFolder.ClaimExisting(run).Dispose(); return true; }
            catch (RunFolderInUseException) { return false; }
        }, TimeSpan.FromSeconds(20)), "the lock outlived the process that held it");
    }

    [Fact]
    public void ClaimNextVersion_TakesOnePastTheHighest_AndEveryClaimGetsItsOwn()
    {
        Directory.CreateDirectory(temp.File("runs/version_0"));
        Directory.CreateDirectory(temp.File("runs/version_4"));
        File.WriteAllText(temp.File("runs/version_4/last.ckpt"), "x");
        using var first = RunFolder.ClaimNextVersion(temp.File("runs"));
        using var second = RunFolder.ClaimNextVersion(temp.File("runs"));

        Assert.Equal(temp.File("runs/version_5"), first.Path);
        Assert.Equal(temp.File("runs/version_6"), second.Path);
    }

    [Fact]
    public void ClaimExisting_OfAMissingFolder_Throws()
    {
        Assert.Throws<DirectoryNotFoundException>(() => RunFolder.ClaimExisting(temp.File("nowhere")));
        Assert.False(Directory.Exists(temp.File("nowhere")));
    }
}
