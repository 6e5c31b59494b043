using TorchSharp;
using Unified.Core.Data;
using Unified.Core.Metrics;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Ignite.Tests;

[Collection(TorchCollection.Name)]
public sealed class SupervisedTests
{
    static Tensor CrossEntropy(Tensor logits, Tensor targets) => nn.functional.cross_entropy(logits, targets);

    [Fact]
    public void TrainerAndEvaluatorForAModule_ReachOver85PercentValidationAccuracyInOneEpoch()
    {
        using var data = new DigitsDataModule(new DigitsDataOptions { BatchSize = 64, Seed = 42 });
        Seed.Everything(42);
        using var module = new ClassificationModule(new DigitsMlp(), 1e-3);
        var trainer = Supervised.CreateTrainer(module, new SupervisedTrainerOptions { Accelerator = "cpu" });
        var evaluator = Supervised.CreateEvaluator(module, "cpu");
        var validation = new Dictionary<string, double>();
        trainer.On(Events.EpochCompleted, _ =>
        {
            foreach (var (name, value) in evaluator.Run(data.Validation!).ScalarMetrics()) validation[name] = value;
        });

        var state = trainer.Run(data.Train, maxEpochs: 1);

        Assert.Equal(125, state.Iteration);
        Assert.Equal(new[] { "train_loss" }, state.Metrics.Keys);
        Assert.InRange(state.Metric("train_loss"), 0.1, 1.5);
        Assert.Equal(new[] { "val_accuracy", "val_loss" }, validation.Keys.Order());
        Assert.True(validation["val_accuracy"] > 0.85, $"val_accuracy {validation["val_accuracy"]:F4} <= 0.85");
        Assert.Equal(32, evaluator.State.Iteration);
    }

    [Fact]
    public void Trainer_OutputsTheDetachedScalarLossOfEachIteration()
    {
        using var data = new SliceDataModule(trainCount: 64, validationCount: 0, batchSize: 16);
        Seed.Everything(3);
        using var module = new ClassificationModule(new DigitsMlp(), 1e-3);
        var trainer = Supervised.CreateTrainer(module, new SupervisedTrainerOptions { Accelerator = "cpu" });
        var losses = new List<float>();
        trainer.On(Events.IterationCompleted, e =>
        {
            var loss = Assert.IsType<Tensor>(e.State.Output);
            Assert.Equal(0, loss.dim());
            Assert.False(loss.requires_grad);
            losses.Add(loss.item<float>());
        });

        trainer.Run(data.Train, maxEpochs: 1);

        Assert.Equal(4, losses.Count);
        Assert.All(losses, l => Assert.InRange(l, 0.5f, 5f));
    }

    [Fact]
    public void TrainerFromModelOptimizerAndLoss_MatchesTheSameHandWrittenSgdLoop()
    {
        using var data = new SliceDataModule(trainCount: 320, validationCount: 0, batchSize: 32);
        torch.manual_seed(11);
        using var model = new DigitsMlp();
        using var optimizer = optim.SGD(model.parameters(), 0.05);
        var trainer = Supervised.CreateTrainer(model, optimizer, CrossEntropy, new SupervisedTrainerOptions { Accelerator = "cpu" });

        var state = trainer.Run(data.Train, maxEpochs: 2);

        torch.manual_seed(11);
        using var reference = new DigitsMlp();
        using var referenceOptimizer = optim.SGD(reference.parameters(), 0.05);
        for (int epoch = 0; epoch < 2; epoch++)
            foreach (var batch in data.Train.Epoch(epoch))
            {
                using var scope = NewDisposeScope();
                using var _ = batch;
                referenceOptimizer.zero_grad();
                CrossEntropy(reference.call(batch.Input), batch.Target).backward();
                referenceOptimizer.step();
            }
        Assert.Equal(20, state.Iteration);
        Assert.True(ModuleWeights.BitwiseEqual(reference, model),
            $"Weights differ from the hand-written loop by up to {ModuleWeights.MaxAbsDifference(reference, model):E3}.");
    }

    [Fact]
    public void TrainerFromParts_LowersTheLoss()
    {
        using var data = new SliceDataModule(trainCount: 256, validationCount: 0, batchSize: 32);
        torch.manual_seed(5);
        using var model = new DigitsMlp();
        using var optimizer = optim.Adam(model.parameters(), 1e-3);
        var trainer = Supervised.CreateTrainer(model, optimizer, CrossEntropy, new SupervisedTrainerOptions { Accelerator = "cpu" });

        trainer.Run(data.Train, maxEpochs: 1);
        double first = TrainLoss(model, data);
        trainer.Run(data.Train, maxEpochs: 3);
        double later = TrainLoss(model, data);

        Assert.True(later < first, $"Loss went from {first} to {later}.");
    }

    static double TrainLoss(nn.Module<Tensor, Tensor> model, IDataModule data)
    {
        using var noGrad = no_grad();
        double sum = 0;
        int count = 0;
        foreach (var batch in data.Train.Epoch(0))
        {
            using var _ = batch;
            using var loss = CrossEntropy(model.call(batch.Input), batch.Target);
            sum += loss.item<float>() * batch.Size;
            count += batch.Size;
        }
        return sum / count;
    }

    [Fact]
    public void EvaluatorWithMetrics_AgreesWithAManualComputation()
    {
        using var data = new SliceDataModule(trainCount: 64, validationCount: 300, batchSize: 64);
        torch.manual_seed(8);
        using var model = new DigitsMlp();
        var metrics = new Dictionary<string, Metric>
        {
            ["accuracy"] = new Accuracy(),
            ["loss"] = new Loss(CrossEntropy),
        };
        var evaluator = Supervised.CreateEvaluator(model, metrics, "cpu");

        var state = evaluator.Run(data.Validation!);

        var batches = data.Validation!.Epoch(0).ToList();
        using var inputs = cat(batches.Select(b => b.Input).ToList(), 0);
        using var targets = cat(batches.Select(b => b.Target).ToList(), 0);
        batches.ForEach(b => b.Dispose());
        using var noGrad = no_grad();
        using var logits = model.call(inputs);
        using var loss = CrossEntropy(logits, targets);
        using var hits = logits.argmax(1).eq(targets).sum();
        Assert.Equal(5, state.Iteration);
        Assert.Equal(hits.item<long>() / 300.0, state.Metric("accuracy"), 1e-6);
        Assert.Equal(loss.item<float>(), state.Metric("loss"), 1e-6);
        Assert.True(model.training, "The evaluator must hand the model back in train mode.");
    }

    [Fact]
    public void EvaluatorWithMetrics_RunsTheModelInEvalModeWithoutGradients()
    {
        using var data = new SliceDataModule(trainCount: 16, validationCount: 32, batchSize: 16);
        torch.manual_seed(8);
        using var model = new DigitsMlp();
        var evaluator = Supervised.CreateEvaluator(model, new Dictionary<string, Metric> { ["accuracy"] = new Accuracy() }, "cpu");
        var seen = new List<(bool Training, bool RequiresGrad)>();
        evaluator.On(Events.IterationCompleted, e =>
        {
            var output = Assert.IsType<EvaluationOutput>(e.State.Output);
            seen.Add((model.training, output.Prediction.requires_grad));
        });

        evaluator.Run(data.Validation!);

        Assert.Equal(new[] { (false, false), (false, false) }, seen);
    }

    [Fact]
    public void EvaluatorForAModule_ResetsTheModulesLoggedValuesOnEveryRun()
    {
        using var data = new SliceDataModule(trainCount: 16, validationCount: 64, batchSize: 32);
        Seed.Everything(4);
        using var module = new ClassificationModule(new DigitsMlp(), 1e-3);
        var evaluator = Supervised.CreateEvaluator(module, "cpu");

        var first = new Dictionary<string, double>(evaluator.Run(data.Validation!).ScalarMetrics());
        var second = new Dictionary<string, double>(evaluator.Run(data.Validation!).ScalarMetrics());

        Assert.Equal(first, second);
        Assert.True(module.Network.training);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void TrainerOptions_GradientAccumulationStepsBelowOne_ThrowsNamingTheField(int steps)
    {
        torch.manual_seed(0);
        using var model = new DigitsMlp();
        using var optimizer = optim.SGD(model.parameters(), 0.1);

        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            Supervised.CreateTrainer(model, optimizer, CrossEntropy, new SupervisedTrainerOptions { GradientAccumulationSteps = steps }));
        Assert.Equal(nameof(SupervisedTrainerOptions.GradientAccumulationSteps), e.ParamName);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(double.NaN)]
    public void TrainerOptions_InvalidClipGradient_ThrowsNamingTheField(double clip)
    {
        torch.manual_seed(0);
        using var model = new DigitsMlp();
        using var optimizer = optim.SGD(model.parameters(), 0.1);

        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            Supervised.CreateTrainer(model, optimizer, CrossEntropy, new SupervisedTrainerOptions { ClipGradient = clip }));
        Assert.Equal(nameof(SupervisedTrainerOptions.ClipGradient), e.ParamName);
    }

    [Fact]
    public void Trainer_UnknownAccelerator_ThrowsArgumentListingTheValidNames()
    {
        torch.manual_seed(0);
        using var model = new DigitsMlp();
        using var optimizer = optim.SGD(model.parameters(), 0.1);

        var e = Assert.Throws<ArgumentException>(() =>
            Supervised.CreateTrainer(model, optimizer, CrossEntropy, new SupervisedTrainerOptions { Accelerator = "tpu" }));
        Assert.Contains("cpu, cuda, auto", e.Message);
    }
}
