using System.Security.Cryptography;
using Unified.Core.Checkpointing;
using Unified.Core.Training;
using Unified.Ignite;
using Unified.Testing;
using Xunit;

namespace Unified.Ignite.Tests;

/// <summary>
/// <c>DiskSaver(asyncWrites: true)</c>: Ignite's <c>DiskSaver</c> writes synchronously (ignite/handlers/checkpoint.py);
/// the background option writes the same bytes, is flushed when the run ends, keeps the previous files until the new
/// one is durable, and a failed write fails the run naming the file.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class AsyncDiskSaverTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    static Engine NewTrainer(ITrainingModule module)
    {
        Core.Runtime.Seed.Everything(42);
        return Supervised.CreateTrainer(module, new SupervisedTrainerOptions { Accelerator = "cpu" });
    }

    static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    [Fact]
    public void Run_WithAsyncWrites_WritesTheSameBytes_AndResumesToTheUninterruptedWeights()
    {
        using var data = new SliceDataModule(640, 0, 64);
        string folder = Path.Combine(temp.Path, "ckpt"), syncFolder = Path.Combine(temp.Path, "sync");
        using (var module = new DropoutClassifier(1))
        {
            var trainer = NewTrainer(module);
            var handler = new Checkpoint(Supervised.ToSave(trainer).Parts, new DiskSaver(folder), nSaved: -1, includeSelf: true);
            trainer.On(Events.IterationCompleted.Every(4), handler.Handle);
            trainer.Run(data.Train, 3);
        }
        Directory.Move(folder, syncFolder);
        using var reference = new DropoutClassifier(1);
        var asyncTrainer = NewTrainer(reference);
        var asyncHandler = new Checkpoint(Supervised.ToSave(asyncTrainer).Parts, new DiskSaver(folder, asyncWrites: true), nSaved: -1, includeSelf: true);
        asyncTrainer.On(Events.IterationCompleted.Every(4), asyncHandler.Handle);
        asyncTrainer.Run(data.Train, 3);

        var names = Directory.GetFiles(syncFolder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(names, Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList());
        Assert.Equal(7, names.Count);
        foreach (string? name in names) Assert.Equal(Sha256(Path.Combine(syncFolder, name!)), Sha256(Path.Combine(folder, name!)));

        using var resumedModule = new DropoutClassifier(2);
        var resumed = NewTrainer(resumedModule);
        Checkpoint.LoadObjects(Supervised.ToSave(resumed).Parts, Path.Combine(folder, "checkpoint_12.ckpt"));
        resumed.Run(data.Train, 3);
        Assert.Equal(WeightsHash.Sha256(reference.Network), WeightsHash.Sha256(resumedModule.Network));
    }

    [Fact]
    public void Run_WithAsyncWrites_InterruptedSave_IsDurableWhenRunThrows()
    {
        using var data = new SliceDataModule(640, 0, 64);
        using var module = new DropoutClassifier(1);
        using var cancellation = new CancellationTokenSource();
        var trainer = NewTrainer(module);
        var handler = new Checkpoint(Supervised.ToSave(trainer).Parts, new DiskSaver(temp.Path, asyncWrites: true), nSaved: 1);
        trainer.On(Events.Interrupt, handler.Handle);
        trainer.On(Events.IterationCompleted.Once(7), _ => cancellation.Cancel());

        Assert.ThrowsAny<OperationCanceledException>(() => trainer.Run(data.Train, 3, cancellation.Token));

        Assert.Equal(["checkpoint_7.ckpt"], temp.FileNames());
        using var contents = CheckpointFile.Load(handler.LastCheckpoint!);
    }

    [Fact]
    public void Checkpoint_WithAsyncWrites_NeverHasFewerThanThePreviousNSavedFilesAtASave()
    {
        using var data = new SliceDataModule(640, 0, 64);
        using var module = new DropoutClassifier(1);
        var trainer = NewTrainer(module);
        var handler = new Checkpoint(Supervised.ToSave(trainer).Parts, new DiskSaver(temp.Path, asyncWrites: true), nSaved: 2);
        var counts = new List<int>();
        // Before each save: the set kept before the previous (maybe still in flight) save must be on disk.
        trainer.On(Events.IterationCompleted.Every(2), _ => counts.Add(temp.FileNames().Count(f => f.EndsWith(".ckpt", StringComparison.Ordinal))));
        trainer.On(Events.IterationCompleted.Every(2), handler.Handle);

        trainer.Run(data.Train, 2);

        Assert.Equal(10, counts.Count);
        for (int i = 0; i < counts.Count; i++) Assert.True(counts[i] >= Math.Clamp(i - 1, 0, 2), $"save {i + 1}: {counts[i]} files on disk");
        Assert.Equal(["checkpoint_18.ckpt", "checkpoint_20.ckpt"], temp.FileNames());
    }

    [Fact]
    public void Run_WhenABackgroundWriteFails_ThrowsNamingTheFile()
    {
        using var data = new SliceDataModule(640, 0, 64);
        using var module = new DropoutClassifier(1);
        string folder = Path.Combine(temp.Path, "ckpt");
        var trainer = NewTrainer(module);
        var saver = new DiskSaver(folder, asyncWrites: true);
        var handler = new Checkpoint(Supervised.ToSave(trainer).Parts, saver, nSaved: -1);
        trainer.On(Events.IterationCompleted.Every(3), handler.Handle);
        // The folder becomes a file (root ignores a read-only folder): the next write cannot create its temporary file.
        // The flush first lets checkpoint_3's write finish, so the folder is not deleted under it (that raced).
        trainer.On(Events.IterationCompleted.Once(4), _ =>
        {
            saver.Flush();
            Directory.Delete(folder, recursive: true);
            File.WriteAllText(folder, "not a folder");
        });

        var e = Assert.ThrowsAny<Exception>(() => trainer.Run(data.Train, 1));

        var failure = e as CheckpointWriteException ?? e.InnerException as CheckpointWriteException;
        Assert.NotNull(failure);
        Assert.Equal(Path.Combine(folder, "checkpoint_6.ckpt"), failure.Path);
        Assert.Contains(failure.Path, failure.Message);
    }
}
