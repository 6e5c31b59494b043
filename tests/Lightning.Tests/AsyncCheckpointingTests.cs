using System.Security.Cryptography;
using Unified.Core.Checkpointing;
using Unified.Core.Training;
using Unified.Lightning;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Lightning.Tests;

/// <summary>
/// <see cref="TrainerOptions.AsyncCheckpointing"/>, Lightning's <c>Trainer(plugins=[AsyncCheckpointIO()])</c>
/// (lightning/pytorch/plugins/io/async_plugin.py): the same files as synchronous checkpointing, resumable to the same
/// weights, durable when Fit returns, and a failed write fails the fit naming the file.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class AsyncCheckpointingTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    static Trainer NewTrainer(bool async, params Callback[] callbacks)
    {
        var options = new TrainerOptions { MaxEpochs = 3, Seed = 42, Accelerator = "cpu", AsyncCheckpointing = async };
        foreach (var callback in callbacks) options.Callbacks.Add(callback);
        return new Trainer(options);
    }

    static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    [Fact]
    public void Fit_WithAsyncCheckpointing_WritesByteIdenticalFiles_AndResumesToTheUninterruptedWeights()
    {
        using var data = new SliceDataModule(640, 128, 64);
        // Both fits save to the same folder (its path is in the retention state); the synchronous files are moved aside.
        string syncDir = Path.Combine(temp.Path, "sync"), asyncDir = Path.Combine(temp.Path, "ckpt");
        using (var module = new DropoutClassifier(1))
            NewTrainer(false, new ModelCheckpoint(new() { DirPath = asyncDir, EveryNTrainSteps = 6, SaveTopK = -1, SaveLast = true })).Fit(module, data);
        Directory.Move(asyncDir, syncDir);
        using var reference = new DropoutClassifier(1);
        NewTrainer(true, new ModelCheckpoint(new() { DirPath = asyncDir, EveryNTrainSteps = 6, SaveTopK = -1, SaveLast = true })).Fit(reference, data);

        var names = Directory.GetFiles(syncDir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(names, Directory.GetFiles(asyncDir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList());
        Assert.Contains("epoch=1-step=18.ckpt", names);
        foreach (string? name in names) Assert.Equal(Sha256(Path.Combine(syncDir, name!)), Sha256(Path.Combine(asyncDir, name!)));

        using var resumedModule = new DropoutClassifier(2);
        NewTrainer(false).Fit(resumedModule, data, ckptPath: Path.Combine(asyncDir, "epoch=1-step=18.ckpt"));
        Assert.Equal(WeightsHash.Sha256(reference.Network), WeightsHash.Sha256(resumedModule.Network));
    }

    [Fact]
    public void Fit_WithAsyncCheckpointing_KeepsTheTopK_AndTestReadsTheBestFile()
    {
        using var data = new SliceDataModule(640, 128, 64);
        using var module = new DropoutClassifier(1);
        var checkpoint = new ModelCheckpoint(new() { DirPath = temp.Path, Monitor = "val_loss", SaveTopK = 2, SaveLast = true });
        var trainer = NewTrainer(true, checkpoint);
        trainer.Fit(module, data);

        Assert.Equal(3, temp.FileNames().Length);
        Assert.All(checkpoint.Kept, k => Assert.True(File.Exists(k.Path)));
        var metrics = trainer.Validate(module, data, ckptPath: "best");
        Assert.NotEmpty(metrics);
    }

    // Replaces the checkpoint folder by a file after the first save: the next write cannot create its temporary file.
    sealed class FolderBecomesAFile(string folder) : Callback
    {
        public override void OnTrainBatchEnd(TrainerView trainer, ITrainingModule module, Tensor loss, Core.Data.Batch batch, int batchIndex)
        {
            if (trainer.GlobalStep != 4) return;
            Directory.Delete(folder, recursive: true);
            File.WriteAllText(folder, "not a folder");
        }
    }

    [Fact]
    public void Fit_WhenABackgroundWriteFails_ThrowsNamingTheFile()
    {
        using var data = new SliceDataModule(640, 128, 64);
        using var module = new DropoutClassifier(1);
        string folder = Path.Combine(temp.Path, "ckpt");
        var checkpoint = new ModelCheckpoint(new() { DirPath = folder, EveryNTrainSteps = 3, SaveTopK = -1 });

        var e = Assert.ThrowsAny<Exception>(() => NewTrainer(true, checkpoint, new FolderBecomesAFile(folder)).Fit(module, data));

        var failure = e as CheckpointWriteException ?? e.InnerException as CheckpointWriteException;
        Assert.NotNull(failure);
        // The save at step 3 (if still in flight when its folder went) or the one at step 6.
        Assert.Contains(failure.Path, new[] { Path.Combine(folder, "epoch=0-step=3.ckpt"), Path.Combine(folder, "epoch=0-step=6.ckpt") });
        Assert.Contains(failure.Path, failure.Message);
    }
}
