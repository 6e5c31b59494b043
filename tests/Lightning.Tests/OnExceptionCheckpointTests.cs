using Unified.Core.Checkpointing;
using Unified.Core.Data;
using Unified.Core.Models;
using Unified.Core.Training;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;
using static Unified.Lightning.Tests.CallbackKit;

namespace Unified.Lightning.Tests;

/// <summary>OnExceptionCheckpoint as Lightning's callbacks/on_exception_checkpoint.py (tests/tests_pytorch/callbacks/test_on_exception_checkpoint.py).</summary>
[Collection(TorchCollection.Name)]
public sealed class OnExceptionCheckpointTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    // Fails at one global batch (counting from the fit's start) when asked to.
    sealed class FailingMlp(int failAt) : LightningModule(new DigitsMlp())
    {
        int seen;

        public override Tensor TrainingStep(Batch batch, int batchIndex)
        {
            if (seen++ == failAt) throw new InvalidOperationException("boom");
            return nn.functional.cross_entropy(Forward(batch.Input), batch.Target);
        }

        public override OptimizerConfig ConfigureOptimizers() => new(optim.SGD(Network.parameters(), 0.05));
    }

    [Fact]
    public void AFailedFit_LeavesAResumableCheckpoint_WhichTheSuccessfulResumeDeletes()
    {
        using var data = Digits();
        var callback = new OnExceptionCheckpoint(temp.Path);
        var options = Options(maxEpochs: 2);
        options.Callbacks.Add(callback);
        Core.Runtime.Seed.Everything(1);
        using (var failing = new FailingMlp(failAt: 6))
            Assert.Equal("boom", Assert.Throws<InvalidOperationException>(() => new Trainer(options).Fit(failing, data)).Message);

        Assert.Equal(Path.Combine(temp.Path, "on_exception.ckpt"), callback.CkptPath);
        using (var contents = CheckpointFile.Load(callback.CkptPath))
            Assert.Equal(6, contents.Parts["kernel"].Value<long>("global_step")); // the 6 steps before the failing batch

        using var resumed = new FailingMlp(failAt: -1);
        var trainer = new Trainer(options);
        trainer.Fit(resumed, data, callback.CkptPath);
        Assert.Equal(8, trainer.GlobalStep);
        Assert.False(File.Exists(callback.CkptPath)); // Lightning's teardown removes it after the resumed fit succeeded
    }

    [Fact]
    public void AFileItDidNotWrite_IsKeptAfterASuccessfulFit()
    {
        string foreign = Path.Combine(temp.Path, "on_exception.ckpt");
        File.WriteAllText(foreign, "the user's file");
        using var data = Digits();
        using var module = Mlp();
        var options = Options(maxEpochs: 1);
        options.Callbacks.Add(new OnExceptionCheckpoint(temp.Path));

        new Trainer(options).Fit(module, data);

        Assert.Equal("the user's file", File.ReadAllText(foreign));
    }

    [Fact]
    public void AnEmptyName_IsRefused()
    {
        Assert.Contains("filename cannot be empty", Assert.Throws<ArgumentException>(() => new OnExceptionCheckpoint(temp.Path, "")).Message);
        Assert.Throws<ArgumentException>(() => new OnExceptionCheckpoint(" "));
        Assert.Throws<ArgumentException>(() => new OnExceptionCheckpoint(temp.Path, "a/b"));
    }
}
