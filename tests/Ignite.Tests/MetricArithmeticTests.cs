using Unified.Core.Data;
using Unified.Core.Metrics;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Ignite.Tests;

/// <summary>
/// Metric arithmetic and MetricsLambda on engines, non-scalar metrics in State.Metrics, and the usages of
/// ignite/metrics/metric.py (EpochWise, BatchWise, RunningBatchWise).
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class MetricArithmeticTests
{
    const int Classes = 4;

    static TensorDataLoader Scores()
    {
        var generator = new TorchSharp.torch.Generator(7);
        var logits = randn([96, Classes], generator: generator);
        var targets = randint(0, Classes, [96], generator: generator);
        return new TensorDataLoader(logits, targets, batchSize: 32, shuffle: false, seed: 0);
    }

    static Engine Evaluator() => new((_, batch) => new EvaluationOutput(batch.Input.clone(), batch.Target));

    [Fact]
    public void F1FromPrecisionAndRecallObjects_EqualsCoresF1_PerClassAndAveraged()
    {
        using var data = Scores();
        var engine = Evaluator();
        var task = ClassificationTask.Multiclass(Classes);
        using var precision = new Precision(task, Average.None);
        using var recall = new Recall(task, Average.None);
        using var f1Reference = new F1(task, Average.None);
        using var macroReference = new F1(task, Average.Macro);
        using var confusion = new ConfusionMatrix(task);
        var f1 = 2 * precision * recall / (precision + recall);
        f1.Attach(engine, "f1", usage: MetricUsage.Run);
        MetricsLambda.Create(r => r[0].mean(), f1).Attach(engine, "f1_macro", usage: MetricUsage.Run);
        f1Reference.Attach(engine, "f1_reference", usage: MetricUsage.Run);
        macroReference.Attach(engine, "f1_macro_reference", usage: MetricUsage.Run);
        confusion.Attach(engine, "confusion", usage: MetricUsage.Run);

        var state = engine.Run(data);

        // Precision appears twice in the expression but is updated once per batch.
        Assert.Equal(3, precision.UpdateCount);
        var perClass = Assert.IsType<Tensor>(state.Metrics["f1"], exactMatch: false);
        Assert.Equal([Classes], perClass.shape);
        Assert.True(perClass.allclose((Tensor)state.Metrics["f1_reference"], rtol: 1e-12, atol: 1e-12));
        Assert.Equal(state.Metric("f1_macro_reference"), state.Metric("f1_macro"), 12);
        var matrix = (Tensor)state.Metrics["confusion"];
        Assert.Equal(new long[] { Classes, Classes }, matrix.shape);
        Assert.Equal(96, matrix.sum().item<double>());
        Assert.DoesNotContain("confusion", state.ScalarMetrics().Keys);
        Assert.Throws<InvalidCastException>(() => state.Metric("confusion"));
    }

    [Fact]
    public void BatchUsage_GivesEachBatchsValue_RunningAverage_FollowsIgnitesFormula()
    {
        using var data = Scores();
        var engine = Evaluator();
        using var accuracy = new Accuracy(ClassificationTask.Multiclass(Classes));
        accuracy.Attach(engine, "batch_accuracy", usage: MetricUsage.Batch);
        var perBatch = new List<(double Attached, double Direct)>();
        engine.On(Events.IterationCompleted, e =>
        {
            var output = (EvaluationOutput)e.State.Output!;
            double direct = output.Prediction.argmax(1).eq(output.Target).to_type(ScalarType.Float64).mean().item<double>();
            perBatch.Add((e.State.Metric("batch_accuracy"), direct));
        });
        engine.Run(data);
        Assert.Equal(3, perBatch.Count);
        Assert.All(perBatch, p => Assert.Equal(p.Direct, p.Attached, 12));

        using var counting = CountingData.Loader(samples: 3, batchSize: 1);
        var trainer = new Engine((e, _) => tensor((double)e.State.Iteration));
        using var average = new RunningAverage(alpha: 0.5);
        average.Attach(trainer, "loss");
        var running = new List<double>();
        trainer.On(Events.IterationCompleted, e => running.Add(e.State.Metric("loss")));
        trainer.Run(counting);
        // v1 = 1; then alpha * previous + (1 - alpha) * value.
        Assert.Equal(new[] { 1.0, 1.5, 2.25 }, running);
    }

    [Fact]
    public void AMetricReadBeforeItWasUpdated_Throws()
    {
        using var precision = new Precision(ClassificationTask.Multiclass(Classes));
        using var recall = new Recall(ClassificationTask.Multiclass(Classes));
        var e = Assert.Throws<InvalidOperationException>(() => (precision + recall).Compute());
        Assert.Contains("before any Update()", e.Message);
        Assert.Contains("has no 'f1'", Assert.Throws<KeyNotFoundException>(() => new State().Metric("f1")).Message);
    }
}
