using Unified.Core.Checkpointing;
using Unified.Core.Diagnostics;
using Unified.Core.Training;
using Unified.Testing;
using Xunit;

namespace Unified.Core.Tests;

/// <summary>Retention deletes only files it wrote in its own folder, also after a resume into another folder (issue 10).</summary>
[Collection(TorchCollection.Name)]
public sealed class CheckpointRetentionTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    static void Write(string path) => File.WriteAllText(path, path);

    [Fact]
    public void Save_KeepsTheBestK_DeletingOnlyWhatFellOut()
    {
        var retention = new CheckpointRetention(temp.File("a"), keep: 2, Mode.Min);
        Directory.CreateDirectory(temp.File("a"));
        retention.Save("x.ckpt", 3, Write);
        retention.Save("y.ckpt", 1, Write);
        retention.Save("z.ckpt", 2, Write);

        Assert.Equal(["y.ckpt", "z.ckpt"], Directory.GetFiles(temp.File("a")).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void LoadStateDict_FromAnotherFolder_KeepsThoseFiles_AndWarnsOnce()
    {
        Directory.CreateDirectory(temp.File("a"));
        Directory.CreateDirectory(temp.File("b"));
        var first = new CheckpointRetention(temp.File("a"), keep: 1, Mode.Min);
        first.Save("best.ckpt", 1, Write);
        var saved = first.StateDict();

        var warnings = new List<string>();
        var sink = Warnings.Sink;
        Warnings.Sink = warnings.Add;
        CheckpointRetention resumed;
        try
        {
            resumed = new CheckpointRetention(temp.File("b"), keep: 1, Mode.Min);
            resumed.LoadStateDict(saved);
        }
        finally
        {
            Warnings.Sink = sink;
        }
        resumed.Save("new.ckpt", 0.5, Write); // better: would evict best.ckpt if the restored list were used

        Assert.True(File.Exists(temp.File("a/best.ckpt")), "retention deleted a file outside its folder");
        Assert.True(File.Exists(temp.File("b/new.ckpt")));
        Assert.Single(warnings);
        Assert.Contains(temp.File("a"), warnings[0]);
        Assert.DoesNotContain(resumed.Kept, k => k.Path.StartsWith(temp.File("a"), StringComparison.Ordinal));
    }

    [Fact]
    public void LoadStateDict_InTheSameFolder_GoesOnPruningTheSameFiles()
    {
        Directory.CreateDirectory(temp.File("a"));
        var first = new CheckpointRetention(temp.File("a"), keep: 1, Mode.Min);
        first.Save("old.ckpt", 2, Write);
        var resumed = new CheckpointRetention(temp.File("a"), keep: 1, Mode.Min);
        resumed.LoadStateDict(first.StateDict());

        resumed.Save("better.ckpt", 1, Write);

        Assert.Equal(["better.ckpt"], Directory.GetFiles(temp.File("a")).Select(Path.GetFileName));
    }
}
