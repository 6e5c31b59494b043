using Unified.Core.Checkpointing;
using Unified.Core.Runtime;
using Unified.Core.Training;
using Unified.Lightning.Tests;
using Unified.Testing;
using Xunit;

namespace Unified.Adapters.Tests;

/// <summary>
/// A LightningModule with every hook overridden sees the same hooks in the same order, and ends with the same weights,
/// whichever front-end UnifiedTrainer runs: under Ignite the hooks are attached to the engines' events in Lightning
/// 2.x's order (trainer/call.py, loops/fit_loop.py, loops/evaluation_loop.py; the sequence Lightning's own
/// tests_pytorch/models/test_hooks.py checks).
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class UnifiedTrainerHookParityTests
{
    static (List<string> Called, string Sha256) Fit(string framework, UnifiedTrainerOptions options, SliceDataModule data)
    {
        Seed.Everything(42);
        var called = new List<string>();
        var module = new HookedModule(called);
        new UnifiedTrainer(framework, options).Fit(module, data);
        string sha = WeightsHash.Sha256(module.Network);
        module.Logged.Dispose();
        module.Network.Dispose();
        return (called, sha);
    }

    [Fact]
    public void EveryHookOverridden_LightningAndIgnite_SeeTheSameSequenceAndEndWithTheSameWeights()
    {
        using var temp = new TempDirectory();
        using var data = new SliceDataModule(trainCount: 96, validationCount: 64, batchSize: 32);
        UnifiedTrainerOptions Options(string dir) => new() { MaxEpochs = 2, Seed = 42, Accelerator = "cpu", CheckpointDir = dir, AccumulateGradBatches = 1 };
        var lightning = Fit("lightning", Options(temp.File("l")), data);
        var ignite = Fit("ignite", Options(temp.File("i")), data);

        Assert.Equal(lightning.Called, ignite.Called);
        Assert.Equal(lightning.Sha256, ignite.Sha256);
        // The sequence is Lightning's, not merely the same twice: preamble, fit start, the 2-batch sanity check, ...
        Assert.Equal(new[] { "configure_callbacks", "prepare_data", "setup[fit]", "configure_model", "configure_optimizers", "on_fit_start",
            "on_validation_start", "on_validation_epoch_start", "on_validation_batch_start" }, lightning.Called.Take(9));
        // Lightning 2.x's automatic optimisation: the closure runs training_step, zero_grad, backward (test_hooks.py _auto_train_batch).
        string[] batch = ["on_train_batch_start", "forward", "training_step", "on_before_zero_grad", "on_before_backward", "on_after_backward",
            "on_before_optimizer_step", "on_train_batch_end"];
        int first = lightning.Called.IndexOf("on_train_epoch_start");
        Assert.Equal(batch, lightning.Called.Skip(first + 1).Take(batch.Length));
        // ... the epoch's validation before on_train_epoch_end, then last.ckpt (on_save_checkpoint), and the fit's end.
        int epochEnd = lightning.Called.IndexOf("on_train_epoch_end");
        Assert.Equal(["on_validation_end", "on_train_epoch_end", "on_save_checkpoint"], lightning.Called.Skip(epochEnd - 1).Take(3));
        Assert.Equal(["on_train_end", "on_fit_end", "teardown[fit]"], lightning.Called.TakeLast(3));
        Assert.Equal(2, lightning.Called.Count(c => c == "on_train_epoch_start"));
        Assert.Equal(6, lightning.Called.Count(c => c == "training_step"));
    }

    [Fact]
    public void Accumulation_LightningAndIgnite_CallTheOptimizerHooksOnlyAtStepBoundaries()
    {
        using var data = new SliceDataModule(trainCount: 128, validationCount: 32, batchSize: 32);
        UnifiedTrainerOptions Options() => new() { MaxEpochs = 1, Seed = 42, Accelerator = "cpu", AccumulateGradBatches = 2, NumSanityValSteps = 0 };
        var lightning = Fit("lightning", Options(), data);
        var ignite = Fit("ignite", Options(), data);

        Assert.Equal(lightning.Called, ignite.Called);
        Assert.Equal(lightning.Sha256, ignite.Sha256);
        Assert.Equal((4, 2), (lightning.Called.Count(c => c == "on_before_backward"), lightning.Called.Count(c => c == "on_before_optimizer_step")));
    }

    [Fact]
    public void ResumeFromLastCheckpoint_LightningAndIgnite_CallOnLoadCheckpointAndSkipTheSanityCheck()
    {
        using var temp = new TempDirectory();
        using var data = new SliceDataModule(trainCount: 96, validationCount: 32, batchSize: 32);
        var runs = new Dictionary<string, List<string>>();
        foreach (string framework in new[] { "lightning", "ignite" })
        {
            string dir = temp.File(framework);
            Fit(framework, new() { MaxEpochs = 1, Seed = 42, Accelerator = "cpu", CheckpointDir = dir }, data);
            runs[framework] = Fit(framework, new() { MaxEpochs = 2, Seed = 42, Accelerator = "cpu", ResumeFrom = Path.Combine(dir, "last.ckpt") }, data).Called;
        }

        Assert.Equal(runs["lightning"], runs["ignite"]);
        Assert.Contains("on_load_checkpoint", runs["ignite"]);
        Assert.Equal("on_train_start", runs["ignite"][runs["ignite"].IndexOf("on_fit_start") + 1]);
    }

    [Fact]
    public void ValidateTestPredict_LightningAndIgnite_SeeTheSameHooksAndReturnTheSameValues()
    {
        using var data = new Unified.Core.Data.DigitsDataModule(new Unified.Core.Data.DigitsDataOptions { BatchSize = 256, Seed = 42, TestFraction = 0.1 });
        var results = new Dictionary<string, (List<string> Called, IReadOnlyDictionary<string, double> Val, IReadOnlyDictionary<string, double> Test, float[] Predicted)>();
        foreach (string framework in new[] { "lightning", "ignite" })
        {
            Seed.Everything(7);
            var called = new List<string>();
            var module = new HookedModule(called);
            var trainer = new UnifiedTrainer(framework, new UnifiedTrainerOptions { Accelerator = "cpu" });
            var val = trainer.Validate(module, data);
            var test = trainer.Test(module, data);
            var predictions = trainer.Predict(module, data);
            float[] predicted = predictions.SelectMany(p => p.data<float>().ToArray()).ToArray();
            predictions.ToList().ForEach(p => p.Dispose());
            results[framework] = (called, val, test, predicted);
            module.Network.Dispose();
        }

        var (l, i) = (results["lightning"], results["ignite"]);
        Assert.Equal(l.Called, i.Called);
        Assert.Contains("on_predict_batch_end", l.Called);
        Assert.Equal(l.Val.OrderBy(kv => kv.Key), i.Val.OrderBy(kv => kv.Key));
        Assert.Equal(l.Test.OrderBy(kv => kv.Key), i.Test.OrderBy(kv => kv.Key));
        Assert.True(l.Test.ContainsKey("test_loss"));
        Assert.Equal(l.Predicted, i.Predicted);
        Assert.NotEmpty(l.Predicted);
    }

    /// <summary>Builds its split in Setup (reading a loader before throws), records its hooks and keeps a state.</summary>
    sealed class RecordingDataModule(List<string> called) : Lightning.LightningDataModule, IDisposable
    {
        SliceDataModule? slice;

        public long Restored { get; private set; } = -1;

        SliceDataModule Built => slice ?? throw new InvalidOperationException("a loader was read before Setup");

        public override void PrepareData() => called.Add("datamodule.prepare_data");

        public override void Setup(Lightning.TrainerStage stage)
        {
            called.Add($"datamodule.setup[{stage.ToString().ToLowerInvariant()}]");
            slice ??= new SliceDataModule(trainCount: 64, validationCount: 32, batchSize: 32);
        }

        public override void Teardown(Lightning.TrainerStage stage) => called.Add($"datamodule.teardown[{stage.ToString().ToLowerInvariant()}]");

        public override Core.Data.IBatchLoader Train => Built.Train;

        public override Core.Data.IBatchLoader? Validation => Built.Validation;

        public override Core.State.StateDict StateDict()
        {
            var state = new Core.State.StateDict();
            state.Values["batches"] = (long)Built.Train.Count;
            return state;
        }

        public override void LoadStateDict(Core.State.StateDict state) => Restored = state.Value<long>("batches");

        public void Dispose() => slice?.Dispose();
    }

    // Lightning 2.x: the data module's prepare_data, setup and teardown run before the module's (connectors/data_connector.py
    // prepare_data, call.py _call_setup_hook and _call_teardown_hook); its state is saved in the checkpoint and restored
    // on resume (checkpoint_connector.py dump_checkpoint, restore_datamodule).
    [Fact]
    public void LightningDataModule_LightningAndIgnite_RunItsHooksBeforeTheModulesAndResumeItsState()
    {
        using var temp = new TempDirectory();
        var runs = new Dictionary<string, List<string>>();
        foreach (string framework in new[] { "lightning", "ignite" })
        {
            string dir = temp.File(framework);
            var called = new List<string>();
            using (var data = new RecordingDataModule(called))
            {
                Seed.Everything(42);
                var module = new HookedModule(called);
                new UnifiedTrainer(framework, new() { MaxEpochs = 1, Seed = 42, Accelerator = "cpu", CheckpointDir = dir }).Fit(module, data);
                module.Network.Dispose();
            }
            using var resumed = new RecordingDataModule([]);
            var again = new HookedModule([]);
            var trainer = new UnifiedTrainer(framework, new() { MaxEpochs = 2, Seed = 42, Accelerator = "cpu", ResumeFrom = Path.Combine(dir, "last.ckpt") });
            trainer.Fit(again, resumed);
            Assert.Equal(2, resumed.Restored);
            called.Add("--validate--");
            trainer.Validate(again, new RecordingDataModule(called));
            again.Network.Dispose();
            runs[framework] = called;
        }

        Assert.Equal(runs["lightning"], runs["ignite"]);
        var fit = runs["lightning"];
        Assert.Equal(["datamodule.prepare_data", "prepare_data", "datamodule.setup[fit]", "setup[fit]"], fit.Where(c => c.Contains("prepare_data") || c.Contains("setup[")).Take(4));
        Assert.Equal(["datamodule.teardown[fit]", "teardown[fit]"], fit.Where(c => c.Contains("teardown[fit]")));
        Assert.Equal(["datamodule.prepare_data", "datamodule.setup[validate]", "datamodule.teardown[validate]"], fit.SkipWhile(c => c != "--validate--").Where(c => c.StartsWith("datamodule.", StringComparison.Ordinal)));
    }
}
