using Unified.Core.Metrics;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Ignite.Tests;

[Collection(TorchCollection.Name)]
public sealed class MetricAttachmentTests
{
    /// <summary>Inputs are [i] and targets i; a "prediction" of (input - shift)² vs target gives a known MSE per batch.</summary>
    static Engine RegressionEngine(float shift) => new((_, batch) => new EvaluationOutput(batch.Input.squeeze(1) - shift, batch.Target.to_type(ScalarType.Float32)));

    [Fact]
    public void EpochUsage_ComputesThePerEpochValueIntoStateMetrics()
    {
        using var data = CountingData.Loader(samples: 6, batchSize: 4);
        var engine = RegressionEngine(shift: 2f);
        using var mse = new Loss((p, y) => nn.functional.mse_loss(p, y));
        mse.Attach(engine, "mse");
        var perEpoch = new List<double>();
        engine.On(Events.EpochCompleted, e => perEpoch.Add(e.State.Metric("mse")));

        engine.Run(data, maxEpochs: 2);

        Assert.Equal(new[] { 4.0, 4.0 }, perEpoch);
    }

    [Fact]
    public void EpochUsage_ResetsAtEveryEpochStart()
    {
        using var data = CountingData.Loader(samples: 4, batchSize: 2);
        float shift = 1f;
        var engine = new Engine((_, batch) => new EvaluationOutput(batch.Input.squeeze(1) - shift, batch.Target.to_type(ScalarType.Float32)));
        engine.On(Events.EpochStarted.Once(2), _ => shift = 3f);
        using var mse = new Loss((p, y) => nn.functional.mse_loss(p, y));
        mse.Attach(engine, "mse");
        var perEpoch = new List<double>();
        engine.On(Events.EpochCompleted, e => perEpoch.Add(e.State.Metric("mse")));

        engine.Run(data, maxEpochs: 2);

        Assert.Equal(new[] { 1.0, 9.0 }, perEpoch);
    }

    [Fact]
    public void RunUsage_AccumulatesOverTheWholeRun()
    {
        using var data = CountingData.Loader(samples: 4, batchSize: 2);
        float shift = 1f;
        var engine = new Engine((_, batch) => new EvaluationOutput(batch.Input.squeeze(1) - shift, batch.Target.to_type(ScalarType.Float32)));
        engine.On(Events.EpochStarted.Once(2), _ => shift = 3f);
        using var mse = new Loss((p, y) => nn.functional.mse_loss(p, y));
        mse.Attach(engine, "mse", usage: MetricUsage.Run);

        var state = engine.Run(data, maxEpochs: 2);

        Assert.Equal(5.0, state.Metric("mse"), 12);
    }

    [Fact]
    public void OutputTransform_PicksPredictionAndTargetFromACustomOutput()
    {
        using var data = CountingData.Loader(samples: 4, batchSize: 4);
        var engine = new Engine((_, batch) => new[] { batch.Input.squeeze(1) * 2, batch.Target.to_type(ScalarType.Float32) });
        using var mse = new Loss((p, y) => nn.functional.mse_loss(p, y));
        mse.Attach(engine, "mse", output => ((Tensor[])output!)[0] is var p ? (p, ((Tensor[])output!)[1]) : default);

        var state = engine.Run(data);

        Assert.Equal((0 + 1 + 4 + 9) / 4.0, state.Metric("mse"), 12);
    }

    [Fact]
    public void DefaultTransform_WithAnotherOutputType_ThrowsInvalidOperationSayingWhatToPass()
    {
        using var data = CountingData.Loader(samples: 2, batchSize: 2);
        var engine = new Engine((_, _) => 42);
        using var accuracy = new Accuracy();
        accuracy.Attach(engine, "accuracy");

        var e = Assert.Throws<InvalidOperationException>(() => engine.Run(data));
        Assert.Contains("outputTransform", e.Message);
    }

    [Fact]
    public void DisposingTheHandle_DetachesTheMetric()
    {
        using var data = CountingData.Loader(samples: 2, batchSize: 2);
        var engine = new Engine((_, _) => 42);
        using var accuracy = new Accuracy();

        accuracy.Attach(engine, "accuracy").Dispose();
        var state = engine.Run(data);

        Assert.Empty(state.Metrics);
        Assert.False(engine.HasHandlers(EventKind.IterationCompleted));
    }
}
