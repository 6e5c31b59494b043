using TorchSharp;
using Unified.Core.Checkpointing;
using Unified.Core.Runtime;
using Unified.Core.Training;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;
using static Unified.Lightning.Tests.CallbackKit;

namespace Unified.Lightning.Tests;

/// <summary>
/// Several optimisers, as Lightning 2.x allows them: only under manual optimisation (core/optimizer.py
/// <c>_validate_multiple_optimizers_support</c>), each stepped by the module (<c>opt1, opt2 = self.optimizers()</c>,
/// core/module.py <c>optimizers</c>, <c>lr_schedulers</c>), every <c>optimizer.step()</c> counted in <c>global_step</c>
/// (training_epoch_loop.py global_step under manual optimisation), no scheduler stepped by the trainer
/// (training_epoch_loop.py <c>_update_learning_rates</c>), every optimiser and scheduler state in the checkpoint
/// (checkpoint_connector.py <c>optimizer_states</c>, <c>lr_schedulers</c>), and LearningRateMonitor naming each
/// (callbacks/lr_monitor.py <c>_find_names_from_schedulers</c>, <c>_find_names_from_optimizers</c>).
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class MultipleOptimizersTests : IDisposable
{
    const int Batches = 8;
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    static SliceDataModule Data() => new(trainCount: 32 * Batches, validationCount: 0, batchSize: 32);

    static TrainerOptions Options(int epochs = 1) => new()
    {
        MaxEpochs = epochs, Seed = 42, Accelerator = "cpu", EnableCheckpointing = false, EnableProgressBar = false, EnableModelSummary = false,
    };

    [Fact]
    public void GanStepsEachOptimizerOnItsOwnParameters_BitwiseAsAHandWrittenLoop_CountingEveryStep()
    {
        using var data = Data();
        using var module = new DigitsGan { CheckOwnership = true };
        var trainer = new Trainer(Options());
        trainer.Fit(module, data);

        Assert.Empty(module.OwnershipViolations);
        Assert.Equal(2 * Batches, module.CheckedSteps);
        // Lightning's manual global_step counts optimizer.step() calls: two per batch here.
        Assert.Equal(2 * Batches, trainer.GlobalStep);
        Assert.Equal(2, trainer.Optimizers.Count);

        // The same iteration with TorchSharp's own zero_grad / backward / step, on the same seeded weights and batches.
        using var reference = new DigitsGan();
        var d = optim.Adam(reference.Nets.Discriminator.parameters(), 2e-3, beta1: 0.5);
        var g = optim.Adam(reference.Nets.Generator.parameters(), 1e-3, beta1: 0.5);
        Seed.Everything(42);
        foreach (var batch in data.Train.Epoch(0, 0))
            using (batch)
            using (NewDisposeScope())
                reference.Nets.Iterate(batch.Input, loss => { d.zero_grad(); loss.backward(); d.step(); }, loss => { g.zero_grad(); loss.backward(); g.step(); });

        Assert.True(ModuleWeights.BitwiseEqual(reference.Network, module.Network),
            $"The trainer's GAN differs from the hand-written loop by up to {ModuleWeights.MaxAbsDifference(reference.Network, module.Network):E3}.");
        using var untrained = new DigitsGan();
        Assert.False(ModuleWeights.BitwiseEqual(untrained.Network, module.Network), "Training did not change the weights.");
    }

    [Fact]
    public void SeveralOptimizersUnderAutomaticOptimisation_AreRefusedAtFitStart_WithLightningsMessage()
    {
        using var data = Data();
        using var module = new DigitsGan(manual: false);
        using var before = new DigitsGan(manual: false);

        var e = Assert.Throws<InvalidOperationException>(() => new Trainer(Options()).Fit(module, data));

        Assert.Equal("Training with multiple optimizers is only supported with manual optimization. Set `AutomaticOptimization = false` in DigitsGan's constructor, "
            + "then access your optimizers in `TrainingStep` with `Optimizers(0)`, `Optimizers(1)`, ... .", e.Message);
        Assert.True(ModuleWeights.BitwiseEqual(before.Network, module.Network));
    }

    sealed class SingleOptimizerCall : LightningModule
    {
        public SingleOptimizerCall() : base(new GanNetworks()) => AutomaticOptimization = false;

        public Exception? Error { get; private set; }

        public override Tensor TrainingStep(Unified.Core.Data.Batch batch, int batchIndex)
        {
            Error ??= Record(() => Optimizers());
            return zeros(1);
        }

        static Exception? Record(Func<object?> call)
        {
            try { call(); return null; }
            catch (Exception e) { return e; }
        }

        public override OptimizerConfig ConfigureOptimizers() =>
            OptimizerConfig.Many(new(optim.SGD(((GanNetworks)Network).Discriminator.parameters(), 0.1)), new(optim.SGD(((GanNetworks)Network).Generator.parameters(), 0.1)));
    }

    [Fact]
    public void OptimizersWithoutIndex_WithSeveral_SaysToTakeEachByIndex()
    {
        using var data = Data();
        using var module = new SingleOptimizerCall();
        var options = Options();
        options.LimitTrainBatches = 1;
        new Trainer(options).Fit(module, data);

        var e = Assert.IsType<InvalidOperationException>(module.Error);
        Assert.Equal("SingleOptimizerCall.ConfigureOptimizers returned 2 optimizers; take each with Optimizers(0) ... Optimizers(1) or OptimizerList().", e.Message);
    }

    [Fact]
    public void LearningRateFinder_WithSeveralOptimizers_IsRefused()
    {
        // tuner/lr_finder.py _exchange_scheduler: "learning rate finder only works with single optimizer".
        using var data = Data();
        using var module = new DigitsGan();

        var e = Assert.Throws<InvalidOperationException>(() => Tuner.LrFind(new Trainer(Options()), module, data));

        Assert.Equal("DigitsGan.ConfigureOptimizers returned 2 optimizers, but the learning rate finder only works with a single optimizer.", e.Message);
    }

    [Fact]
    public void OptimizerConfigMany_RefusesNoConfigNestingAndAnOptimizerGivenTwice()
    {
        using var nets = new GanNetworks();
        var sgd = optim.SGD(nets.Generator.parameters(), 0.1);
        var other = optim.SGD(nets.Discriminator.parameters(), 0.1);

        Assert.Contains("at least one", Assert.Throws<ArgumentException>(() => OptimizerConfig.Many()).Message, StringComparison.Ordinal);
        Assert.Contains("same optimizer at indices 0 and 1", Assert.Throws<ArgumentException>(() => OptimizerConfig.Many(new(sgd), new(sgd))).Message, StringComparison.Ordinal);
        var many = OptimizerConfig.Many(new(sgd), new(other));
        Assert.Contains("made by OptimizerConfig.Many at index 0", Assert.Throws<ArgumentException>(() => OptimizerConfig.Many(many, new(other))).Message, StringComparison.Ordinal);
        // The result reads as the first config; a single one is returned as it is.
        Assert.Same(sgd, many.Optimizer);
        Assert.Equal([sgd, other], many.All.Select(c => c.Optimizer));
        var single = new OptimizerConfig(sgd);
        Assert.Same(single, OptimizerConfig.Many(single));
        Assert.Same(single, Assert.Single(single.All));
    }

    [Fact]
    public void Checkpoint_HoldsEveryOptimizerAndSchedulerState_UnderItsIndex()
    {
        using var data = Data();
        using var module = new DigitsGan(generatorScheduler: true);
        var options = Options();
        options.EnableCheckpointing = true;
        options.Callbacks.Add(new ModelCheckpoint(new ModelCheckpointOptions { DirPath = temp.Path, SaveTopK = 0, SaveLast = true }));
        new Trainer(options).Fit(module, data);

        using var contents = CheckpointFile.Load(temp.File(ModelCheckpoint.LastName));

        Assert.Contains("optimizer", contents.Parts.Keys);
        Assert.Contains("optimizer_1", contents.Parts.Keys);
        // Only the generator (optimiser 1) has a scheduler, stepped once by hand at the epoch's end.
        Assert.DoesNotContain("lr_scheduler", contents.Parts.Keys);
        Assert.Contains("lr_scheduler_1", contents.Parts.Keys);
        // Adam's moments have the shapes of each optimiser's own first parameter: discriminator [64, 784], generator [64, 16].
        Assert.Equal([64L, 784L], contents.Part("optimizer").Tensor("state.0.exp_avg").shape);
        Assert.Equal([64L, GanNetworks.NoiseSize], contents.Part("optimizer_1").Tensor("state.0.exp_avg").shape);
        Assert.Equal(2, contents.Part("kernel").Value<int>("optimizer_count"));
        Assert.Equal(2 * Batches, contents.Part("kernel").Value<long>("global_step"));
    }

    [Fact]
    public void ResumedTwoOptimizerFit_EndsBitwiseAtTheUninterruptedWeightsAndLearningRates()
    {
        using var data = Data();
        using var reference = new DigitsGan(discriminatorScheduler: true, generatorScheduler: true);
        var uninterrupted = new Trainer(Options(epochs: 3));
        uninterrupted.Fit(reference, data);

        using (var first = new DigitsGan(discriminatorScheduler: true, generatorScheduler: true))
        {
            var options = Options(epochs: 1);
            options.EnableCheckpointing = true;
            options.Callbacks.Add(new ModelCheckpoint(new ModelCheckpointOptions { DirPath = temp.Path, SaveTopK = 0, SaveLast = true }));
            new Trainer(options).Fit(first, data);
        }
        using var resumedModule = new DigitsGan(discriminatorScheduler: true, generatorScheduler: true);
        var resumed = new Trainer(Options(epochs: 3));
        resumed.Fit(resumedModule, data, ckptPath: temp.File(ModelCheckpoint.LastName));

        Assert.Equal(WeightsHash.Sha256(reference.Network), WeightsHash.Sha256(resumedModule.Network));
        Assert.Equal(uninterrupted.GlobalStep, resumed.GlobalStep);
        Assert.Equal(3 * 2 * Batches, resumed.GlobalStep);
        // Each scheduler stepped by hand at the three epochs' ends: 2e-3 * 0.5^3 and 1e-3 * 0.1^3.
        Assert.Equal(2e-3 * 0.125, resumed.Optimizers[0].ParamGroups.First().LearningRate, 15);
        Assert.Equal(1e-3 * 0.001, resumed.Optimizers[1].ParamGroups.First().LearningRate, 15);
    }

    [Fact]
    public void ResumingATwoOptimizerCheckpointIntoOneOptimizer_IsRefused()
    {
        using var data = Data();
        using (var first = new DigitsGan())
        {
            var options = Options();
            options.EnableCheckpointing = true;
            options.Callbacks.Add(new ModelCheckpoint(new ModelCheckpointOptions { DirPath = temp.Path, SaveTopK = 0, SaveLast = true }));
            new Trainer(options).Fit(first, data);
        }
        using var single = new OneAdamGan();

        var e = Assert.ThrowsAny<InvalidDataException>(() => new Trainer(Options(epochs: 2)).Fit(single, data, ckptPath: temp.File(ModelCheckpoint.LastName)));

        Assert.Contains("trained with 2 optimizer(s), this fit configures 1", e.Message, StringComparison.Ordinal);
    }

    sealed class OneAdamGan : LightningModule
    {
        public OneAdamGan() : base(new GanNetworks()) => AutomaticOptimization = false;

        public override Tensor TrainingStep(Unified.Core.Data.Batch batch, int batchIndex) => zeros(1);

        public override OptimizerConfig ConfigureOptimizers() => new(optim.Adam(Network.parameters(), 1e-3));
    }

    [Fact]
    public void LearningRateMonitor_NamesEveryOptimizer_SchedulersFirst_AsLightning()
    {
        // test_lr_monitor_multi_lrs: two Adams with schedulers log lr-Adam and lr-Adam-1; when only the second has
        // one, it is named first (lr-Adam) and the other lr-Adam-1.
        foreach (var (discriminatorScheduler, expected) in new[] { (true, new[] { 2e-3, 1e-3, 1e-3, 1e-4 }), (false, [1e-3, 1e-4, 2e-3, 2e-3]) })
        {
            using var data = Data();
            using var module = new DigitsGan(discriminatorScheduler: discriminatorScheduler, generatorScheduler: true);
            var options = Options(epochs: 2);
            var csv = Csv(Path.Combine(temp.Path, discriminatorScheduler.ToString()));
            options.Loggers.Add(csv);
            var monitor = new LearningRateMonitor(loggingInterval: SchedulerInterval.Epoch);
            options.Callbacks.Add(monitor);
            new Trainer(options).Fit(module, data);

            Assert.Equal(["lr-Adam", "lr-Adam-1"], monitor.Lrs.Keys);
            // Logged when each epoch starts: the first name's two values, then the second's.
            Assert.Equal(expected, monitor.Lrs["lr-Adam"].Concat(monitor.Lrs["lr-Adam-1"]).Select(lr => Math.Round(lr, 12)));
        }
    }

    [Fact]
    public void StepLogging_WithTwoOptimizers_CountsBatchesThatStepped_AsLightning()
    {
        // Lightning logs at fit_loop.epoch_loop._batches_that_stepped (logger_connector.py log_metrics,
        // should_update_logs; lr_monitor.py on_train_batch_start), which counts batches, not optimizer.step() calls.
        using var data = Data();
        using var module = new DigitsGan(discriminatorScheduler: false, generatorScheduler: true);
        var options = Options();
        options.LogEveryNSteps = 2;
        var csv = Csv(temp.Path);
        options.Loggers.Add(csv);
        var monitor = new LearningRateMonitor(loggingInterval: SchedulerInterval.Step);
        options.Callbacks.Add(monitor);
        var trainer = new Trainer(options);

        trainer.Fit(module, data);

        Assert.Equal(2 * Batches, trainer.GlobalStep);
        var lines = File.ReadAllLines(csv.MetricsFile);
        var header = lines[0].Split(',');
        var rows = lines.Skip(1).Select(l => header.Zip(l.Split(',')).ToDictionary(p => p.First, p => p.Second)).ToList();
        Assert.Equal(Enumerable.Range(1, Batches / 2).Select(k => (2 * k).ToString()), rows.Where(r => r["train_loss_step"] != "").Select(r => r["step"]));
        // The monitor logs before the batch whose end is a logging step: at 1, 3, 5, ...
        Assert.Equal(Enumerable.Range(0, Batches / 2).Select(k => (2 * k + 1).ToString()), rows.Where(r => r["lr-Adam"] != "").Select(r => r["step"]));
        Assert.Equal(Batches / 2, monitor.Lrs["lr-Adam"].Count);
    }
}
