using System.Text.Json.Nodes;
using Unified.Core.Metrics;
using Unified.Core.State;
using Xunit;
using TorchSharp;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

// Inside Unified.Core.*, the namespace Unified.Core.Precision hides the metric; this alias names the metric.

/// <summary>StateDict / LoadStateDict let a metric stop mid-epoch and continue as if it never had; no update leaks tensors.</summary>
public sealed class MetricStateTests
{
    static (Tensor Scores, Tensor Labels) Batch(int from, int count)
    {
        var i = arange(from, from + count, ScalarType.Float32);
        return (stack([i.sin(), (i * 1.7).cos(), (i * 0.3).sin()], 1), (i * 5 % 3).to_type(ScalarType.Int64));
    }

    /// <summary>A checkpoint's view of a state: tensors copied, values through JSON text.</summary>
    static StateDict Copy(StateDict state)
    {
        var copy = new StateDict();
        foreach (var (key, t) in state.Tensors) copy.Tensors.Add(key, t.clone());
        foreach (var (key, v) in state.Values) copy.Values.Add(key, JsonNode.Parse(v!.ToJsonString()));
        return copy;
    }

    public static TheoryData<string> Resumable => new("accuracy", "f1_weighted", "confusion", "r2", "running");

    static Metric Create(string name) => name switch
    {
        "accuracy" => new Accuracy(ClassificationTask.Multiclass(3), topK: 2),
        "f1_weighted" => new F1(ClassificationTask.Multiclass(3), Average.Weighted),
        "confusion" => new ConfusionMatrix(ClassificationTask.Multiclass(3), ConfusionMatrixNormalization.True),
        "r2" => new R2Score(),
        _ => new RunningAverage(new Accuracy(ClassificationTask.Multiclass(3))),
    };

    static void Feed(Metric metric, string name, int from, int to)
    {
        for (int b = from; b < to; b += 4)
        {
            var (scores, labels) = Batch(b, Math.Min(4, to - b));
            if (name == "r2") metric.Update(scores[.., 0], scores[.., 1] * 3);
            else metric.Update(scores, labels);
        }
    }


    // torchmetrics' Metric.forward: the batch's value on its own is returned (and kept as the forward cache that
    // Lightning logs per step), and the state is as if Update had been called.
    [Theory]
    [InlineData("accuracy")]
    [InlineData("f1_weighted")]
    [InlineData("confusion")]
    [InlineData("running")]
    public void Forward_ReturnsTheBatchOnItsOwn_AndLeavesTheStateAsUpdateWould(string name)
    {
        using var forwarded = Create(name);
        using var updated = Create(name);
        using var alone = Create(name);
        var (scores1, labels1) = Batch(0, 7);
        var (scores2, labels2) = Batch(7, 5);
        forwarded.Forward(scores1, labels1).Dispose();
        updated.Update(scores1, labels1);

        using var value = forwarded.Forward(scores2, labels2);
        updated.Update(scores2, labels2);
        alone.Update(scores2, labels2);

        using var batch = alone.ComputeTensor();
        Assert.True(value.allclose(batch, rtol: 0, atol: 0, equal_nan: true), $"{value.str()} vs {batch.str()}");
        Assert.True(forwarded.ForwardCache!.allclose(batch, rtol: 0, atol: 0, equal_nan: true));
        using var total = forwarded.ComputeTensor();
        using var expected = updated.ComputeTensor();
        Assert.True(total.allclose(expected, rtol: 0, atol: 0, equal_nan: true), $"{total.str()} vs {expected.str()}");
        Assert.Equal(updated.UpdateCount, forwarded.UpdateCount);
        forwarded.Reset();
        Assert.Null(forwarded.ForwardCache);
    }

    [Theory]
    [MemberData(nameof(Resumable))]
    public void LoadStateDict_MidEpoch_ContinuesAsIfUninterrupted(string name)
    {
        using var uninterrupted = Create(name);
        Feed(uninterrupted, name, 0, 24);
        using var expected = uninterrupted.ComputeTensor();

        using var first = Create(name);
        Feed(first, name, 0, 12);
        var saved = Copy(first.StateDict());
        using var resumed = Create(name);
        resumed.LoadStateDict(saved);
        Feed(resumed, name, 12, 24);
        using var actual = resumed.ComputeTensor();

        Assert.Equal(expected.data<double>().ToArray(), actual.data<double>().ToArray());
        Assert.Equal(uninterrupted.UpdateCount, resumed.UpdateCount);
    }

    [Fact]
    public void StateDict_NamesEveryStateAndTheUpdateCount()
    {
        using var f1 = new F1(ClassificationTask.Multiclass(3));
        var (scores, labels) = Batch(0, 5);
        f1.Update(scores, labels);

        var state = f1.StateDict();

        Assert.Equal(["invalid_inputs", "true_positives", "predicted_positives", "actual_positives"], state.Tensors.Keys);
        Assert.Equal(1L, state.Value<long>("updates"));
        Assert.Equal(ScalarType.Float64, state.Tensor("true_positives").dtype);
    }

    [Fact]
    public void LoadStateDict_WithAnotherClassCount_ThrowsInvalidDataAndKeepsTheState()
    {
        using var small = new Precision(ClassificationTask.Multiclass(3));
        using var large = new Precision(ClassificationTask.Multiclass(4));
        var (scores, labels) = Batch(0, 6);
        small.Update(scores, labels);
        double before = small.Compute();
        large.Update(zeros(1, 4), tensor(new long[] { 0 }));

        var e = Assert.Throws<InvalidDataException>(() => small.LoadStateDict(Copy(large.StateDict())));

        Assert.Contains("[4]", e.Message);
        Assert.Equal(before, small.Compute());
    }

    [Fact]
    public void LoadStateDict_WithAMissingEntry_ThrowsInvalidData()
    {
        using var accuracy = new Accuracy();
        var state = new StateDict();
        state.Values["updates"] = 1;

        Assert.Throws<InvalidDataException>(() => accuracy.LoadStateDict(state));
    }

    [Fact]
    public void Reset_ZeroesTheStateAndTheUpdateCount()
    {
        using var matrix = new ConfusionMatrix(ClassificationTask.Multiclass(3));
        var (scores, labels) = Batch(0, 6);
        matrix.Update(scores, labels);

        matrix.Reset();

        Assert.Equal(0, matrix.UpdateCount);
        Assert.Equal(0.0, matrix.StateDict().Tensor("counts").sum().item<double>());
        Assert.Throws<InvalidOperationException>(() => matrix.ComputeTensor());
    }

    [Fact]
    public void ComputeTensor_ReturnsACopyTheCallerMayDispose()
    {
        using var running = new RunningAverage();
        running.Update(tensor(3.0));

        running.ComputeTensor().Dispose();

        Assert.Equal(3.0, running.Compute());
    }

    [Fact]
    public void To_ReturnsTheMetricAndKeepsTheStateOnThatDevice()
    {
        using var mean = new Mean();

        Assert.Same(mean, mean.To(CPU));
        mean.Update(tensor(new[] { 1.0, 3.0 }));

        Assert.Equal(DeviceType.CPU, mean.Device.type);
        Assert.Equal(DeviceType.CPU, mean.States[0].Value.device_type);
        Assert.Equal(2.0, mean.Compute());
    }

    public static TheoryData<string> Leakable => new("accuracy", "f1_weighted", "confusion", "r2", "running", "collection");

    [Theory]
    [MemberData(nameof(Leakable))]
    public void Update_AndCompute_DoNotLeakTensors(string name)
    {
        using var collection = new MetricCollection { { "a", new Accuracy() }, { "p", new Precision(ClassificationTask.Multiclass(3), Average.None) } };
        using var metric = name == "collection" ? null : Create(name);
        void Step(int b)
        {
            if (metric is null)
            {
                var (s, l) = Batch(b, 4);
                collection.Update(s, l);
                s.Dispose();
                l.Dispose();
            }
            else
            {
                Feed(metric, name, b, b + 4);
            }
        }
        using (NewDisposeScope()) Step(0);
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        using (NewDisposeScope())
        {
            for (int i = 1; i < 20; i++) Step(i * 4);
        }
        if (metric is null) collection.Compute();
        else if (name == "confusion") metric.ComputeTensor().Dispose();
        else metric.Compute();

        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
