using Unified.Core.Checkpointing;
using Unified.Core.Data;
using Unified.Core.State;
using Unified.Testing;
using Xunit;
using static Unified.Lightning.Tests.CallbackKit;

namespace Unified.Lightning.Tests;

/// <summary>
/// LightningDataModule's hooks and state as Lightning 2.x calls them: prepare_data before the module's
/// (trainer/connectors/data_connector.py prepare_data), setup and teardown before the callbacks' and the module's
/// (trainer/call.py _call_setup_hook, _call_teardown_hook), loaders read after setup, state saved under its own key
/// (trainer/connectors/checkpoint_connector.py dump_checkpoint, restore_datamodule).
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class LightningDataModuleTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    /// <summary>Digits built in Setup only: reading a loader before it throws.</summary>
    sealed class RecordedDigits(List<string> called) : LightningDataModule, IDisposable
    {
        DigitsDataModule? digits;

        public int SetupCount { get; private set; }

        public long Restored { get; private set; } = -1;

        DigitsDataModule Built => digits ?? throw new InvalidOperationException("a loader was read before Setup");

        public override void PrepareData() => called.Add("datamodule.prepare_data");

        public override void Setup(TrainerStage stage)
        {
            called.Add($"datamodule.setup[{HookedModule.Stage(stage)}]");
            SetupCount++;
            digits ??= new DigitsDataModule(new DigitsDataOptions { BatchSize = 64, Seed = 42, TestFraction = 0.1 });
        }

        public override void Teardown(TrainerStage stage) => called.Add($"datamodule.teardown[{HookedModule.Stage(stage)}]");

        public override IBatchLoader Train => Built.Train;

        public override IBatchLoader? Validation => Built.Validation;

        public override IBatchLoader? Test => Built.Test;

        public override StateDict StateDict()
        {
            var state = new StateDict();
            state.Values["setup_count"] = SetupCount;
            return state;
        }

        public override void LoadStateDict(StateDict state) => Restored = state.Value<long>("setup_count");

        public void Dispose() => digits?.Dispose();
    }

    [Fact]
    public void Hooks_RunBeforeTheModulesAndTheCallbacks_AndLoadersAreReadAfterSetup()
    {
        var called = new List<string>();
        using var data = new RecordedDigits(called);
        using var module = new HookedModule(called);
        var options = Options(maxEpochs: 1, trainBatches: 2, valBatches: 2);
        options.LimitTestBatches = 2;
        var trainer = new Trainer(options);

        trainer.Fit(module, data);
        trainer.Test(module, data);

        string[] expectedFit = ["configure_callbacks", "datamodule.prepare_data", "prepare_data", "datamodule.setup[fit]", "setup[fit]"];
        Assert.Equal(expectedFit, called.Take(5));
        int fitTeardown = called.IndexOf("datamodule.teardown[fit]");
        Assert.Equal("teardown[fit]", called[fitTeardown + 1]);
        int testSetup = called.IndexOf("datamodule.setup[test]");
        Assert.True(testSetup > fitTeardown);
        Assert.Equal(["datamodule.prepare_data", "prepare_data"], called.Skip(testSetup - 2).Take(2));
        Assert.Equal("setup[test]", called[testSetup + 1]);
        Assert.Equal("datamodule.teardown[test]", called[^2]);
        Assert.Equal("teardown[test]", called[^1]);
        Assert.Equal(2, data.SetupCount);
    }

    [Fact]
    public void State_IsSavedInTheCheckpoint_AndRestoredOnResume()
    {
        var called = new List<string>();
        var checkpoint = new ModelCheckpoint(new ModelCheckpointOptions { DirPath = temp.Path, SaveLast = true });
        using (var data = new RecordedDigits(called))
        using (var module = Mlp())
        {
            var options = Options(maxEpochs: 1);
            options.Callbacks.Add(checkpoint);
            new Trainer(options).Fit(module, data);
        }
        using (var contents = CheckpointFile.Load(checkpoint.LastModelPath!))
            Assert.Equal(1, contents.Parts[LightningDataModule.PartName].Value<long>("setup_count"));

        using var resumedData = new RecordedDigits(called);
        using var resumed = Mlp();
        new Trainer(Options(maxEpochs: 2)).Fit(resumed, resumedData, checkpoint.LastModelPath);

        Assert.Equal(1, resumedData.Restored);
    }
}
