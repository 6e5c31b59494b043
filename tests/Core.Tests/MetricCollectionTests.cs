using Unified.Core.Metrics;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

/// <summary>One update feeds every metric; Compute gives one dictionary with prefixed keys.</summary>
public sealed class MetricCollectionTests
{
    static readonly float[] Scores = [2, 1, 0, 0, 2, 1, 1, 0, 2, 0, 1, 2];
    static Tensor Logits() => tensor(Scores).reshape(4, 3);
    static Tensor Labels() => tensor(new long[] { 0, 1, 1, 2 });

    static MetricCollection Create() => new("val_")
    {
        { "accuracy", new Accuracy(ClassificationTask.Multiclass(3)) },
        { "recall", new Recall(ClassificationTask.Multiclass(3), Average.None) },
        { "confusion", new ConfusionMatrix(ClassificationTask.Multiclass(3)) },
    };

    [Fact]
    public void Compute_PrefixesKeysAndSpreadsTensorResults()
    {
        using var metrics = Create();
        metrics.Update(Logits(), Labels());

        var values = metrics.Compute();

        Assert.Equal(0.75, values["val_accuracy"], 12);
        Assert.Equal(new[] { 1.0, 0.5, 1.0 }, new[] { values["val_recall_0"], values["val_recall_1"], values["val_recall_2"] });
        Assert.Equal(1.0, values["val_confusion_1_2"]);
        Assert.Equal(0.0, values["val_confusion_2_1"]);
        Assert.Equal(1 + 3 + 9, values.Count);
        Assert.Equal("val_accuracy", values.Keys.First());
    }

    [Fact]
    public void Compute_EqualsEachMetricOnItsOwn()
    {
        using var metrics = Create();
        using var alone = new Recall(ClassificationTask.Multiclass(3), Average.None);
        metrics.Update(Logits(), Labels());
        alone.Update(Logits(), Labels());

        var tensors = metrics.ComputeTensors();
        try
        {
            using var expected = alone.ComputeTensor();
            Assert.Equal(expected.data<double>().ToArray(), tensors["val_recall"].data<double>().ToArray());
            Assert.Equal(new long[] { 3, 3 }, tensors["val_confusion"].shape);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    [Fact]
    public void StateDict_NestsEachMetricUnderItsName_AndRoundTrips()
    {
        using var metrics = Create();
        metrics.Update(Logits(), Labels());
        var state = metrics.StateDict();

        using var restored = Create();
        restored.LoadStateDict(state);

        Assert.Contains("confusion.counts", state.Tensors.Keys);
        Assert.Equal(1L, state.Value<long>("accuracy.updates"));
        Assert.Equal(metrics.Compute(), restored.Compute());
    }

    [Fact]
    public void Reset_ResetsEveryMetric()
    {
        using var metrics = Create();
        metrics.Update(Logits(), Labels());

        metrics.Reset();

        Assert.All(metrics.Values, m => Assert.Equal(0, m.UpdateCount));
    }

    [Fact]
    public void Add_WithATakenName_ThrowsArgument()
    {
        using var metrics = Create();

        var e = Assert.Throws<ArgumentException>(() => metrics.Add("accuracy", new Accuracy()));

        Assert.Contains("'accuracy'", e.Message);
    }

    [Fact]
    public void Indexer_WithAnUnknownName_ThrowsKeyNotFoundListingTheNames()
    {
        using var metrics = Create();

        var e = Assert.Throws<KeyNotFoundException>(() => metrics["f1"]);

        Assert.Contains("accuracy, recall, confusion", e.Message);
    }

    [Fact]
    public void Dispose_DisposesEveryMetric()
    {
        var metrics = Create();
        var accuracy = metrics["accuracy"];

        metrics.Dispose();

        Assert.Throws<ObjectDisposedException>(() => accuracy.Reset());
    }
}
