using Unified.Core.Data;
using Unified.Core.Metrics;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Core.Training;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Lightning.Tests;

/// <summary>
/// <c>Log</c>/<c>LogDict</c> as Lightning 2.x records them: defaults per hook (trainer/connectors/logger_connector/
/// fx_validator.py: training_step on_step=True/on_epoch=False, validation_step on_step=False/on_epoch=True), the
/// reductions, the batch-size-weighted mean and the <c>_step</c>/<c>_epoch</c> names of a value logged both ways
/// (logger_connector/result.py: <c>_ResultMetric.update/compute</c>, <c>_Metadata.forked_name</c>, <c>metrics()</c>:
/// loggers get the suffixed name, callbacks both), and a logged <c>Metric</c> computed and reset per epoch.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class TrainerLogSemanticsTests
{
    // 40 training samples in batches of 16 (16, 16, 8), 40 validation samples likewise.
    sealed class LoggingModule : LightningModule
    {
        readonly Accuracy accuracy = new();
        long hits, seen;

        public LoggingModule() : base(new DigitsMlp()) { }

        public List<(double Loss, int Size)> TrainLosses { get; } = [];

        public List<double> ManualAccuracy { get; } = [];

        public override Tensor TrainingStep(Batch batch, int batchIndex)
        {
            var loss = nn.functional.cross_entropy(Forward(batch.Input), batch.Target);
            TrainLosses.Add((loss.item<float>(), (int)batch.Size));
            Log("step_only", loss);
            Log("both", loss, onStep: true, onEpoch: true, progressBar: true);
            LogDict(new Dictionary<string, Tensor> { ["sum_of_ones"] = tensor(1.0), ["max_index"] = tensor((double)batchIndex) }, onStep: false, onEpoch: true,
                reduce: batchIndex >= 0 ? Reduction.Sum : Reduction.Mean);
            Log("max_index_max", (double)batchIndex, onStep: false, onEpoch: true, reduce: Reduction.Max);
            Log("max_index_min", (double)batchIndex, onStep: false, onEpoch: true, reduce: Reduction.Min);
            return loss;
        }

        public override void ValidationStep(Batch batch, int batchIndex)
        {
            var logits = Forward(batch.Input);
            // The batch's size as the value: a weighted mean is sum(size^2) / sum(size).
            Log("val_size", (double)batch.Size, progressBar: true);
            accuracy.Update(logits, batch.Target);
            Log("val_acc", accuracy);
            hits += logits.argmax(1).eq(batch.Target).sum().item<long>();
            seen += batch.Size;
        }

        public override void OnValidationEpochStart() => (hits, seen) = (0, 0);

        public override void OnValidationEpochEnd() => ManualAccuracy.Add((double)hits / seen);

        public override OptimizerConfig ConfigureOptimizers() => new(optim.Adam(Network.parameters(), 1e-2));

        public override void Dispose()
        {
            base.Dispose();
            accuracy.Dispose();
        }
    }

    static (Trainer Trainer, LoggingModule Module) Fit(int epochs)
    {
        using var data = new SliceDataModule(trainCount: 40, validationCount: 40, batchSize: 16);
        Seed.Everything(3);
        var module = new LoggingModule();
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = epochs, Accelerator = "cpu", NumSanityValSteps = 0 });
        trainer.Fit(module, data);
        return (trainer, module);
    }

    [Fact]
    public void Log_InTrainingStep_IsPerStepByDefault_AndPerEpochInValidation()
    {
        var (trainer, module) = Fit(1);
        using var _ = module;
        var epoch = trainer.History[0].Metrics;

        // Per step only: the last batch's value, in the callback metrics but not in the epoch's values.
        Assert.Equal(module.TrainLosses[^1].Loss, trainer.CallbackMetrics["step_only"], 6);
        Assert.DoesNotContain("step_only", epoch.Keys);
        Assert.DoesNotContain("step_only_epoch", trainer.LoggedMetrics.Keys);
        // validation_step: per epoch, weighted by the batch's size (16, 16, 8).
        Assert.Equal((16 * 16 + 16 * 16 + 8 * 8) / 40.0, epoch["val_size"], 12);
        Assert.Equal(epoch["val_size"], trainer.ProgressBarMetrics["val_size"], 12);
    }

    [Fact]
    public void Log_OnStepAndOnEpoch_AddsStepAndEpochNames_WithTheBatchSizeWeightedMean()
    {
        var (trainer, module) = Fit(1);
        using var _ = module;
        double mean = module.TrainLosses.Sum(l => l.Loss * l.Size) / module.TrainLosses.Sum(l => l.Size);

        Assert.Equal(mean, trainer.CallbackMetrics["both"], 6);
        Assert.Equal(mean, trainer.CallbackMetrics["both_epoch"], 6);
        Assert.Equal(module.TrainLosses[^1].Loss, trainer.CallbackMetrics["both_step"], 6);
        // Loggers and the progress bar see only the suffixed names.
        Assert.Equal(mean, trainer.LoggedMetrics["both_epoch"], 6);
        Assert.Equal(module.TrainLosses[^1].Loss, trainer.ProgressBarMetrics["both_step"], 6);
        Assert.DoesNotContain("both", trainer.LoggedMetrics.Keys);
        Assert.DoesNotContain("both", trainer.ProgressBarMetrics.Keys);
    }

    [Fact]
    public void Log_Reductions_SumMaxAndMin()
    {
        var (trainer, module) = Fit(1);
        using var _ = module;
        var epoch = trainer.History[0].Metrics;

        Assert.Equal(3.0, epoch["sum_of_ones"]);
        Assert.Equal(0 + 1 + 2, epoch["max_index"]);
        Assert.Equal(2.0, epoch["max_index_max"]);
        Assert.Equal(0.0, epoch["max_index_min"]);
    }

    [Fact]
    public void Log_AMetric_IsComputedAtEpochEnd_AndResetWithTheEpoch()
    {
        var (trainer, module) = Fit(3);
        using var _ = module;

        // Each epoch's value is that epoch's accuracy alone: the metric was reset between epochs.
        Assert.Equal(module.ManualAccuracy, trainer.History.Select(h => h.Metrics["val_acc"]));
        Assert.NotEqual(module.ManualAccuracy[0], module.ManualAccuracy[2]);
    }

    // A metric logged with on_step/on_epoch in training_step: per step the batch value of its forward
    // (result.py _ResultMetric.update: value._forward_cache), per epoch its compute over the epoch's batches.
    sealed class ForwardLoggingModule : LightningModule
    {
        readonly Accuracy accuracy = new();

        public ForwardLoggingModule() : base(new DigitsMlp()) { }

        public List<double> BatchAccuracy { get; } = [];

        public List<double> StepValues { get; } = [];

        public long Hits { get; private set; }

        public long Seen { get; private set; }

        public override Tensor TrainingStep(Batch batch, int batchIndex)
        {
            var logits = Forward(batch.Input);
            using (var value = accuracy.Forward(logits, batch.Target)) BatchAccuracy.Add(value.item<double>());
            long hits = logits.argmax(1).eq(batch.Target).sum().item<long>();
            (Hits, Seen) = (Hits + hits, Seen + batch.Size);
            Log("train_acc", accuracy, onStep: true, onEpoch: true);
            return nn.functional.cross_entropy(logits, batch.Target);
        }

        public override void OnTrainBatchEnd(Tensor loss, Batch batch, int batchIndex) => StepValues.Add(Trainer!.CallbackMetrics["train_acc_step"]);

        public override OptimizerConfig ConfigureOptimizers() => new(optim.Adam(Network.parameters(), 1e-2));

        public override void Dispose()
        {
            base.Dispose();
            accuracy.Dispose();
        }
    }

    [Fact]
    public void Log_AMetricPerStepAndPerEpoch_StepsGetTheForwardBatchValue_TheEpochTheMetricOverTheEpoch()
    {
        using var data = new SliceDataModule(trainCount: 40, validationCount: 0, batchSize: 16);
        Seed.Everything(3);
        using var module = new ForwardLoggingModule();
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 1, Accelerator = "cpu", NumSanityValSteps = 0 });
        trainer.Fit(module, data);

        Assert.Equal(3, module.StepValues.Count);
        Assert.Equal(module.BatchAccuracy, module.StepValues);
        Assert.Equal((double)module.Hits / module.Seen, trainer.LoggedMetrics["train_acc_epoch"], 12);
        Assert.NotEqual(module.StepValues[0], trainer.LoggedMetrics["train_acc_epoch"]);
    }

    sealed class BadLogModule(Action<BadLogModule> inValidation, Action<BadLogModule>? atEpochEnd = null) : LightningModule(new DigitsMlp())
    {
        public override Tensor TrainingStep(Batch batch, int batchIndex) => nn.functional.cross_entropy(Forward(batch.Input), batch.Target);

        public override void ValidationStep(Batch batch, int batchIndex) => inValidation(this);

        public override void OnValidationEpochEnd() => atEpochEnd?.Invoke(this);

        public override OptimizerConfig ConfigureOptimizers() => new(optim.SGD(Network.parameters(), 0.1));

        public void Call(string name, bool? onStep = null, bool? onEpoch = null, Reduction reduce = Reduction.Mean) =>
            Log(name, 1.0, onStep: onStep, onEpoch: onEpoch, reduce: reduce);
    }

    [Theory]
    [InlineData("twice", "logged twice this epoch with different options")]
    [InlineData("neither", "OnStep and OnEpoch both false")]
    [InlineData("step in epoch hook", "only allowed in a training, validation or test batch")]
    public void Log_WithConflictingOrEmptyOptions_FailsNamingTheProblem(string misuse, string message)
    {
        using var data = new SliceDataModule(trainCount: 32, validationCount: 32, batchSize: 16);
        using var module = misuse switch
        {
            "twice" => new BadLogModule(m => { m.Call("x"); m.Call("x", reduce: Reduction.Max); }),
            "neither" => new BadLogModule(m => m.Call("x", onStep: false, onEpoch: false)),
            _ => new BadLogModule(_ => { }, m => m.Call("x", onStep: true)),
        };
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 1, Accelerator = "cpu" });

        var e = Assert.Throws<ArgumentException>(() => trainer.Fit(module, data));

        Assert.Contains(message, e.Message);
    }
}
