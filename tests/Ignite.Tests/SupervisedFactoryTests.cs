using Unified.Core.Checkpointing;
using Unified.Core.Metrics;
using Unified.Core.Models;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Ignite.Tests;

/// <summary>
/// create_supervised_trainer / create_supervised_evaluator with their keyword arguments (ignite/engine/__init__.py;
/// tests/ignite/engine/test_create_supervised.py: model_transform, output_transform, prepare_batch, amp_mode).
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class SupervisedFactoryTests
{
    [Fact]
    public void Trainer_AppliesModelAndOutputTransforms_StepsTheScheduler_AndLogsTheEpochLoss()
    {
        using var data = new SliceDataModule(128, 0, 32);
        manual_seed(1);
        var model = new DigitsMlp();
        var optimizer = optim.SGD(model.parameters(), 0.1);
        var outputs = new List<(double Loss, long[] Shape)>();
        var trainer = Supervised.CreateSupervisedTrainer(model, optimizer, (logProbs, y) => nn.functional.nll_loss(logProbs, y), device: "cpu",
            modelTransform: logits => logits.log_softmax(1),
            outputTransform: (x, y, yPred, loss) => ((double)loss.item<float>(), yPred.shape),
            scheduler: optim.lr_scheduler.StepLR(optimizer, 1, 0.5));
        trainer.On(Events.IterationCompleted, e => outputs.Add(((double, long[]))e.State.Output!));

        var state = trainer.Run(data.Train, maxEpochs: 2);

        Assert.Equal(8, outputs.Count);
        Assert.All(outputs, o => Assert.Equal([32L, 10L], o.Shape));
        Assert.InRange(state.Metric("train_loss"), 0.01, 5);
        Assert.Equal(outputs.Skip(4).Average(o => o.Loss), state.Metric("train_loss"), 5);
        Assert.Equal(0.025, optimizer.ParamGroups.First().LearningRate, 12); // stepped once per epoch
        Assert.Contains("lr_scheduler", Supervised.ToSave(trainer).Parts.Keys);
    }

    [Fact]
    public void ModuleTrainer_RefusesASchedulerOption()
    {
        using var module = new ClassificationModule(new DigitsMlp(), 1e-3);
        var sgd = optim.SGD(module.Network.parameters(), 0.1);
        var e = Assert.Throws<ArgumentException>(() => Supervised.CreateTrainer(module, new SupervisedTrainerOptions { Scheduler = optim.lr_scheduler.StepLR(sgd, 1) }));
        Assert.Contains("ConfigureOptimizers", e.Message);
    }

    [Fact]
    public void Evaluator_WithTransformsAndMixedPrecision_ComputesItsMetrics_AndLeavesTheWeights()
    {
        using var data = new SliceDataModule(64, 64, 32);
        manual_seed(2);
        var model = new DigitsMlp();
        string before = WeightsHash.Sha256(model);
        var fp32 = Supervised.CreateSupervisedEvaluator(model, new Dictionary<string, Metric> { ["accuracy"] = new Accuracy() }, device: "cpu");
        var bf16 = Supervised.CreateSupervisedEvaluator(model, new Dictionary<string, Metric> { ["accuracy"] = new Accuracy() }, device: "cpu", precision: "bf16-mixed");
        var custom = Supervised.CreateSupervisedEvaluator(model, device: "cpu", modelTransform: logits => logits.argmax(1),
            outputTransform: (x, y, yPred) => yPred.eq(y).sum());
        long correct = 0;
        custom.On(Events.IterationCompleted, e => correct += ((Tensor)e.State.Output!).item<long>());

        double full = fp32.Run(data.Validation!).Metric("accuracy");
        double mixed = bf16.Run(data.Validation!).Metric("accuracy");
        custom.Run(data.Validation!);

        Assert.Equal(full, correct / 64.0, 12);
        Assert.InRange(Math.Abs(full - mixed), 0, 0.1); // bf16 logits may flip a near tie
        Assert.Equal(before, WeightsHash.Sha256(model));
        Assert.True(model.training);
        Assert.Contains("precision", Assert.Throws<ArgumentException>(() => Supervised.CreateSupervisedEvaluator(model, precision: "fp8")).Message);
    }
}
