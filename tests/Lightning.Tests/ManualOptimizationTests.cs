using TorchSharp;
using Unified.Core.Data;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Core.Training;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Lightning.Tests;

/// <summary>
/// Manual optimisation as Lightning 2.x runs it: the module sets <c>automatic_optimization = False</c> and calls
/// <c>self.optimizers()</c>, <c>opt.zero_grad()</c>, <c>self.manual_backward(loss)</c>, <c>opt.step()</c> itself
/// (core/module.py manual_backward, optimizers, lr_schedulers, clip_gradients; core/optimizer.py LightningOptimizer.step);
/// the loop only runs training_step (loops/optimization/manual.py _ManualOptimization.advance), global_step counts
/// optimizer.step() calls (training_epoch_loop.py global_step: manual_optimization.optim_step_progress.total.completed),
/// schedulers are not stepped by the trainer (training_epoch_loop.py _update_learning_rates returns when
/// not automatic_optimization), and Trainer(gradient_clip_val) / accumulate_grad_batches != 1 are refused
/// (trainer/configuration_validator.py __verify_manual_optimization_support).
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class ManualOptimizationTests
{
    const int Batches = 12;

    static optim.Optimizer Sgd(nn.Module network) => optim.SGD(network.parameters(), 0.05, momentum: 0.9);
    static optim.Optimizer Adam(nn.Module network) => optim.Adam(network.parameters(), 1e-3);

    // The same MLP and loss both ways; the manual one zeroes, backpropagates and steps every `stepEvery` batches.
    sealed class DigitsModule(bool manual, Func<nn.Module, optim.Optimizer> optimizer, int stepEvery = 1) : LightningModule(new DigitsMlp())
    {
        public double? ClipValue { get; init; }
        public bool StepScheduler { get; init; }
        public Func<optim.Optimizer, optim.lr_scheduler.LRScheduler>? Scheduler { get; init; }
        public SchedulerInterval Interval { get; init; } = SchedulerInterval.Epoch;
        public List<bool> StepResults { get; } = [];

        public bool Manual { init => AutomaticOptimization = !value; }

        public override Tensor TrainingStep(Batch batch, int batchIndex)
        {
            var loss = nn.functional.cross_entropy(Forward(batch.Input), batch.Target);
            if (!manual) return loss;
            var opt = Optimizers();
            if (batchIndex % stepEvery == 0) opt.ZeroGrad();
            ManualBackward(stepEvery == 1 ? loss : loss / stepEvery);
            if ((batchIndex + 1) % stepEvery == 0)
            {
                if (ClipValue is double clip) ClipGradients(opt, clip, GradientClipAlgorithm.Norm);
                StepResults.Add(opt.Step());
                if (StepScheduler) LrSchedulers()!.step();
            }
            return loss;
        }

        public override OptimizerConfig ConfigureOptimizers()
        {
            var opt = optimizer(Network);
            return new OptimizerConfig(opt, Scheduler?.Invoke(opt), Interval);
        }
    }

    static DigitsModule Build(bool manual, Func<nn.Module, optim.Optimizer> optimizer, int stepEvery = 1, double? clip = null,
        Func<optim.Optimizer, optim.lr_scheduler.LRScheduler>? scheduler = null, SchedulerInterval interval = SchedulerInterval.Epoch, bool stepScheduler = false)
    {
        Seed.Everything(42);
        return new DigitsModule(manual, optimizer, stepEvery) { Manual = manual, ClipValue = clip, Scheduler = scheduler, Interval = interval, StepScheduler = stepScheduler };
    }

    static Trainer Fit(DigitsModule module, int accumulate = 1, double? clip = null, int epochs = 1, string precision = "32-true", Callback? callback = null, int? maxSteps = null)
    {
        using var data = new SliceDataModule(trainCount: 32 * Batches, validationCount: 0, batchSize: 32);
        var options = new TrainerOptions
        {
            MaxEpochs = epochs, Seed = 42, Accelerator = "cpu", LimitTrainBatches = Batches, EnableCheckpointing = false,
            AccumulateGradBatches = accumulate, GradientClipVal = clip, Precision = precision, MaxSteps = maxSteps,
        };
        if (callback is not null) options.Callbacks.Add(callback);
        var trainer = new Trainer(options);
        trainer.Fit(module, data);
        return trainer;
    }

    static void AssertBitwiseEqual(nn.Module expected, nn.Module actual)
    {
        Assert.True(ModuleWeights.BitwiseEqual(expected, actual),
            $"Weights differ from automatic optimisation by up to {ModuleWeights.MaxAbsDifference(expected, actual):E3}.");
    }

    static void AssertTrained(nn.Module network)
    {
        torch.manual_seed(42);
        using var untrained = new DigitsMlp();
        Assert.False(ModuleWeights.BitwiseEqual(untrained, network), "Training did not change the weights.");
    }

    [Theory]
    [InlineData("sgd")]
    [InlineData("adam")]
    public void ManualZeroGradBackwardStepEachBatch_EndsBitwiseEqualToAutomatic_AndCountsEveryStep(string name)
    {
        Func<nn.Module, optim.Optimizer> optimizer = name == "sgd" ? Sgd : Adam;
        using var automatic = Build(manual: false, optimizer);
        using var manual = Build(manual: true, optimizer);

        var autoTrainer = Fit(automatic);
        var manualTrainer = Fit(manual);

        AssertTrained(manual.Network);
        AssertBitwiseEqual(automatic.Network, manual.Network);
        Assert.Equal(Batches, autoTrainer.GlobalStep);
        Assert.Equal(Batches, manualTrainer.GlobalStep);
        Assert.Equal(Batches, manual.StepResults.Count(stepped => stepped));
    }

    [Fact]
    public void ManualBackwardUnderBf16Mixed_ScalesAndTransfersGradientsAsTheAutomaticPath()
    {
        // bf16-mixed trains a bf16 copy and steps fp32 masters: ManualBackward must move the gradients as Step does.
        using var automatic = Build(manual: false, Adam);
        using var manual = Build(manual: true, Adam);

        Fit(automatic, precision: "bf16-mixed");
        Fit(manual, precision: "bf16-mixed");

        AssertTrained(manual.Network);
        AssertBitwiseEqual(automatic.Network, manual.Network);
        Assert.Equal(ScalarType.Float32, manual.Network.parameters().First().dtype);
    }

    [Fact]
    public void ManualSteppingEverySecondBatch_CountsOnlyItsSteps_AndEqualsAutomaticAccumulationOfTwo()
    {
        using var automatic = Build(manual: false, Sgd);
        using var manual = Build(manual: true, Sgd, stepEvery: 2);

        var autoTrainer = Fit(automatic, accumulate: 2);
        var manualTrainer = Fit(manual);

        // Lightning's manual global_step counts optimizer.step() calls, not batches.
        Assert.Equal(Batches / 2, manualTrainer.GlobalStep);
        Assert.Equal(Batches / 2, autoTrainer.GlobalStep);
        AssertTrained(manual.Network);
        AssertBitwiseEqual(automatic.Network, manual.Network);
    }

    [Fact]
    public void MaxSteps_CountsTheModulesOptimizerSteps_NotBatches()
    {
        using var manual = Build(manual: true, Sgd, stepEvery: 2);

        var trainer = Fit(manual, maxSteps: 3);

        // Six batches make three steps; the fit stops there (training_epoch_loop.py _is_training_done on global_step).
        Assert.Equal(3, trainer.GlobalStep);
        Assert.Equal(3, manual.StepResults.Count);
    }

    [Fact]
    public void ClipGradientsInTheModule_ClipsAsTheTrainersGradientClipValDoesAutomatically()
    {
        // A norm far below the gradients' (~1), so that every step is clipped.
        using var automatic = Build(manual: false, Sgd);
        using var manual = Build(manual: true, Sgd, clip: 0.01);
        using var unclipped = Build(manual: true, Sgd);

        Fit(automatic, clip: 0.01);
        Fit(manual);
        Fit(unclipped);

        AssertBitwiseEqual(automatic.Network, manual.Network);
        Assert.False(ModuleWeights.BitwiseEqual(unclipped.Network, manual.Network), "ClipGradients did not change the steps.");
    }

    [Fact]
    public void SchedulersSteppedByHand_MatchAutomaticStepInterval_AndTheTrainerStepsNoneItself()
    {
        static optim.lr_scheduler.LRScheduler StepLr(optim.Optimizer opt) => optim.lr_scheduler.StepLR(opt, step_size: 3, gamma: 0.5);
        using var automatic = Build(manual: false, Sgd, scheduler: StepLr, interval: SchedulerInterval.Step);
        using var manual = Build(manual: true, Sgd, scheduler: StepLr, stepScheduler: true);
        // An epoch-interval scheduler the module never steps: under automatic optimisation each epoch's end would.
        using var untouched = Build(manual: true, Sgd, scheduler: StepLr, interval: SchedulerInterval.Epoch);

        var autoTrainer = Fit(automatic);
        var manualTrainer = Fit(manual);
        var untouchedTrainer = Fit(untouched, epochs: 4);

        AssertBitwiseEqual(automatic.Network, manual.Network);
        double expected = 0.05 * Math.Pow(0.5, Batches / 3);
        Assert.Equal(expected, autoTrainer.Optimizers[0].ParamGroups.First().LearningRate, 12);
        Assert.Equal(expected, manualTrainer.Optimizers[0].ParamGroups.First().LearningRate, 12);
        Assert.Equal(0.05, untouchedTrainer.Optimizers[0].ParamGroups.First().LearningRate, 12);
        Assert.Equal(4 * Batches, untouchedTrainer.GlobalStep);
    }

    [Fact]
    public void AccumulateGradBatchesWithManualOptimisation_IsRefusedBeforeTraining()
    {
        using var manual = Build(manual: true, Sgd);
        using var before = Build(manual: true, Sgd);

        var e = Assert.Throws<InvalidOperationException>(() => Fit(manual, accumulate: 2));

        Assert.Contains("Automatic gradient accumulation is not supported for manual optimization", e.Message, StringComparison.Ordinal);
        Assert.Contains("AccumulateGradBatches = 2", e.Message, StringComparison.Ordinal);
        AssertBitwiseEqual(before.Network, manual.Network);
    }

    [Fact]
    public void GradientClipValWithManualOptimisation_IsRefusedBeforeTraining()
    {
        using var manual = Build(manual: true, Sgd);
        using var before = Build(manual: true, Sgd);

        var e = Assert.Throws<InvalidOperationException>(() => Fit(manual, clip: 1.0));

        Assert.Contains("Automatic gradient clipping is not supported for manual optimization", e.Message, StringComparison.Ordinal);
        Assert.Contains("ClipGradients", e.Message, StringComparison.Ordinal);
        AssertBitwiseEqual(before.Network, manual.Network);
    }

    [Fact]
    public void GradientAccumulationSchedulerWithManualOptimisation_IsRefused()
    {
        using var manual = Build(manual: true, Sgd);

        var e = Assert.Throws<InvalidOperationException>(() => Fit(manual, callback: new GradientAccumulationScheduler(new Dictionary<int, int> { [1] = 2 })));

        Assert.Contains("GradientAccumulationScheduler is not supported for manual optimization", e.Message, StringComparison.Ordinal);
    }

    // Lightning's manual_backward raises under automatic optimisation (_verify_is_manual_optimization).
    sealed class AutomaticCallingManualBackward() : LightningModule(new DigitsMlp())
    {
        public override Tensor TrainingStep(Batch batch, int batchIndex)
        {
            var loss = nn.functional.cross_entropy(Forward(batch.Input), batch.Target);
            ManualBackward(loss);
            return loss;
        }

        public override OptimizerConfig ConfigureOptimizers() => new(Sgd(Network));
    }

    [Fact]
    public void ManualBackwardUnderAutomaticOptimisation_SaysToTurnItOff()
    {
        using var module = new AutomaticCallingManualBackward();
        using var data = new SliceDataModule(trainCount: 64, validationCount: 0, batchSize: 32);
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 1, Accelerator = "cpu", EnableCheckpointing = false });

        var e = Assert.Throws<InvalidOperationException>(() => trainer.Fit(module, data));

        Assert.Contains("AutomaticOptimization = false", e.Message, StringComparison.Ordinal);
    }
}
