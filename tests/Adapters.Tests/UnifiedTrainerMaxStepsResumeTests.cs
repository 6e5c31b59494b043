using TorchSharp;
using Unified.Core.Checkpointing;
using Unified.Core.Data;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Core.Training;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Adapters.Tests;

/// <summary>
/// A fit stopped by MaxSteps inside an epoch, resumed from its last.ckpt, ends where an uninterrupted fit does.
/// Ignite 0.5's terminate() fires TERMINATE then COMPLETED and not the stopped epoch's EPOCH_COMPLETED
/// (ignite/engine/engine.py Engine.terminate and _internal_run_as_gen); load_state_dict then resumes at
/// iteration % epoch_length inside that epoch (Engine._setup_engine).
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class UnifiedTrainerMaxStepsResumeTests
{
    /// <summary>The digits classifier with an epoch-interval StepLR, so that a scheduler stepped at the wrong moment changes the weights.</summary>
    sealed class StepLrClassifier(nn.Module<Tensor, Tensor> network) : TrainingModule(network)
    {
        public override Tensor TrainingStep(Batch batch, int batchIndex)
        {
            var loss = nn.functional.cross_entropy(network.call(batch.Input), batch.Target);
            Log("train_loss", loss, batch.Size);
            return loss;
        }

        public override void ValidationStep(Batch batch, int batchIndex) =>
            Log("val_loss", nn.functional.cross_entropy(network.call(batch.Input), batch.Target), batch.Size);

        public override OptimizerConfig ConfigureOptimizers()
        {
            var optimizer = optim.Adam(Network.parameters(), 1e-3);
            return new OptimizerConfig(optimizer, optim.lr_scheduler.StepLR(optimizer, step_size: 1, gamma: 0.5), SchedulerInterval.Epoch);
        }
    }

    static (FitResult Result, DigitsMlp Network) Fit(string framework, bool scheduler, UnifiedTrainerOptions options)
    {
        using var data = new DigitsDataModule(new DigitsDataOptions { BatchSize = 64, Seed = 42 });
        Seed.Everything(42);
        var network = new DigitsMlp();
        TrainingModule module = scheduler ? new StepLrClassifier(network) : new ClassificationModule(network, 1e-3);
        var result = new UnifiedTrainer(framework, options).Fit(module, data);
        module.Logged.Dispose();
        return (result, network);
    }

    [Theory]
    [InlineData("ignite", false)]
    [InlineData("ignite", true)]
    [InlineData("lightning", false)]
    [InlineData("lightning", true)]
    public void MaxStepsMidEpoch_ThenResumeToThreeEpochs_EndsBitwiseEqualToAnUninterruptedFit(string framework, bool scheduler)
    {
        using var temp = new TempDirectory();
        var (reference, referenceNetwork) = Fit(framework, scheduler, new UnifiedTrainerOptions { MaxEpochs = 3, Seed = 42, Accelerator = "cpu" });
        using var _r = referenceNetwork;

        var (stopped, stoppedNetwork) = Fit(framework, scheduler, new UnifiedTrainerOptions
        {
            MaxEpochs = 3, MaxSteps = 200, CheckpointDir = temp.Path, CheckpointEveryNSteps = 100, Seed = 42, Accelerator = "cpu",
        });
        stoppedNetwork.Dispose();
        // 125 batches per epoch: step 200 is batch 75 of the second epoch, whose visible end (validation, report) still ran.
        Assert.Equal(200, stopped.Steps);
        Assert.Equal([(0, 125L), (1, 200L)], stopped.History.Select(h => (h.Epoch, h.GlobalStep)));
        Assert.Contains("val_loss", stopped.History[1].Metrics.Keys);
        string last = temp.File("last.ckpt");
        if (framework == "ignite")
        {
            using var contents = CheckpointFile.Load(last);
            var trainer = contents.Part("trainer");
            Assert.Equal((200L, 1, 75), (trainer.Value<long>("iteration"), trainer.Value<int>("epochs_completed"), trainer.Value<int>("epoch_iteration")));
        }

        var (resumed, resumedNetwork) = Fit(framework, scheduler, new UnifiedTrainerOptions { MaxEpochs = 3, ResumeFrom = last, Seed = 42, Accelerator = "cpu" });
        using var _n = resumedNetwork;

        Assert.True(ModuleWeights.BitwiseEqual(referenceNetwork, resumedNetwork),
            $"Resumed weights differ from the uninterrupted fit by up to {ModuleWeights.MaxAbsDifference(referenceNetwork, resumedNetwork):E3}.");
        Assert.Equal(375, resumed.Steps);
        Assert.Equal([(1, 250L), (2, 375L)], resumed.History.Select(h => (h.Epoch, h.GlobalStep)));
        // The resumed epoch's training mean covers all its batches, as the uninterrupted fit's does.
        Assert.Equal(reference.History[1].Metrics["train_loss"], resumed.History[0].Metrics["train_loss"], 12);
        Assert.Equal(reference.History[2].Metrics, resumed.History[1].Metrics);
    }
}
