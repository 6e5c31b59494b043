using System.Security.Cryptography;
using Unified.Core.Checkpointing;
using Unified.Core.Models;
using Unified.Core.State;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

/// <summary>
/// Background checkpoint writes (Lightning's <c>AsyncCheckpointIO</c>, lightning/pytorch/plugins/io/async_plugin.py:
/// one write in flight, an error raised at the next save or at teardown): same bytes as a synchronous save, a snapshot
/// the next step cannot change, failures that name the file, and retention that deletes nothing before the new file is durable.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class CheckpointWriteQueueTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    static Dictionary<string, IStateful> Parts(DigitsMlp model) => new() { ["model"] = new ModuleState(model) };

    static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    [Fact]
    public void Submit_WritesTheSameBytesAsSave_EvenWhenTheWeightsChangeInPlaceRightAfter()
    {
        manual_seed(3);
        using var model = new DigitsMlp();
        string sync = temp.File("sync.ckpt"), background = temp.File("async.ckpt");
        CheckpointFile.Save(sync, Parts(model));

        using (var queue = new CheckpointWriteQueue())
        {
            queue.Submit(background, CheckpointFile.Snapshot(Parts(model)));
            // The next optimiser step updates the parameters in place; the snapshot must not see it.
            using (no_grad())
                foreach (var p in model.parameters()) p.add_(1.0);
            queue.Flush();
        }

        Assert.Equal(Sha256(sync), Sha256(background));
    }

    [Fact]
    public void AFailedWrite_SurfacesAtTheNextSubmit_NamingTheFile_AndOnlyOnce()
    {
        manual_seed(3);
        using var model = new DigitsMlp();
        // A path under a regular file cannot be created, even by root (a read-only folder would not stop root).
        File.WriteAllText(temp.File("blocker"), "not a folder");
        string bad = Path.Combine(temp.File("blocker"), "epoch=0.ckpt");
        using var queue = new CheckpointWriteQueue();

        queue.Submit(bad, CheckpointFile.Snapshot(Parts(model)));
        var e = Assert.Throws<CheckpointWriteException>(() => queue.Submit(temp.File("next.ckpt"), CheckpointFile.Snapshot(Parts(model))));

        Assert.Equal(bad, e.Path);
        Assert.Contains(bad, e.Message);
        Assert.False(File.Exists(temp.File("next.ckpt")));
        queue.Flush(); // reported once
        queue.Submit(temp.File("next.ckpt"), CheckpointFile.Snapshot(Parts(model)));
        queue.Flush();
        Assert.True(File.Exists(temp.File("next.ckpt")));
    }

    [Fact]
    public void Flush_ThrowsTheFailureOfTheLastWrite()
    {
        manual_seed(3);
        using var model = new DigitsMlp();
        File.WriteAllText(temp.File("blocker"), "x");
        string bad = Path.Combine(temp.File("blocker"), "last.ckpt");
        var queue = new CheckpointWriteQueue();
        queue.Submit(bad, CheckpointFile.Snapshot(Parts(model)));

        var e = Assert.Throws<CheckpointWriteException>(queue.Dispose);
        Assert.Contains(bad, e.Message);
    }

    [Fact]
    public void Retention_OnAQueue_DeletesAnEvictedFileOnlyAfterTheNewOneIsWritten()
    {
        manual_seed(3);
        using var model = new DigitsMlp();
        var retention = new CheckpointRetention(temp.Path, keep: 1, mode: null);
        using var queue = new CheckpointWriteQueue();
        using var gate = new ManualResetEventSlim(false);
        retention.Save("a.ckpt", null, p => queue.Submit(p, CheckpointFile.Snapshot(Parts(model))), queue);
        queue.Flush();

        // The second write is held after it completes; the deletion of a.ckpt is queued behind it.
        retention.Save("b.ckpt", null, p =>
        {
            queue.Submit(p, CheckpointFile.Snapshot(Parts(model)));
            queue.After(gate.Wait);
        }, queue);
        Assert.True(File.Exists(temp.File("a.ckpt")));
        gate.Set();
        queue.Flush();

        Assert.Equal(["b.ckpt"], temp.FileNames());
    }

    [Fact]
    public void Retention_OnAQueue_KeepsTheEvictedFileWhenTheNewWriteFails()
    {
        manual_seed(3);
        using var model = new DigitsMlp();
        var retention = new CheckpointRetention(temp.Path, keep: 1, mode: null);
        using var queue = new CheckpointWriteQueue();
        retention.Save("a.ckpt", null, p => queue.Submit(p, CheckpointFile.Snapshot(Parts(model))), queue);
        queue.Flush();

        retention.Save("b.ckpt", null, p =>
        {
            queue.Submit(p, CheckpointFile.Snapshot(Parts(model)));
            queue.After(() => throw new IOException("disk full"));  // the write "fails" after its file is there
        }, queue);

        Assert.Throws<CheckpointWriteException>(queue.Flush);
        Assert.True(File.Exists(temp.File("a.ckpt")));
    }

    [Fact]
    public void Retention_OnAQueue_NeverHasFewerThanTheKeptFilesOnDiskAtASave()
    {
        manual_seed(3);
        using var model = new DigitsMlp();
        var retention = new CheckpointRetention(temp.Path, keep: 2, mode: null);
        using var queue = new CheckpointWriteQueue();
        for (int i = 1; i <= 6; i++)
        {
            // The previous save may still be in flight, but the set kept before it is on disk until it is durable.
            Assert.True(temp.FileNames().Count(f => f.EndsWith(".ckpt", StringComparison.Ordinal)) >= Math.Clamp(i - 2, 0, 2));
            foreach (var kept in retention.Kept.Skip(1)) Assert.True(File.Exists(kept.Path), $"{kept.Path} was deleted before its successor was durable");
            retention.Save($"s{i}.ckpt", null, p => queue.Submit(p, CheckpointFile.Snapshot(Parts(model))), queue);
        }
        queue.Flush();

        Assert.Equal(["s5.ckpt", "s6.ckpt"], temp.FileNames());
    }
}
