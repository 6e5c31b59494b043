using Xunit;

namespace Unified.Core.Tests;

/// <summary>Every metric against scikit-learn on the checked-in fixture (scripts/fixtures/make_metric_fixtures.py).</summary>
public sealed class MetricFixtureTests
{
    const double Tolerance = 1e-6;

    public static TheoryData<string> Cases => new(MetricFixture.Instance.Cases.Keys);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Metric_InBatchesAndInOnePiece_MatchesScikitLearn(string name)
    {
        var c = MetricFixture.Instance.Cases[name];
        var (expected, shape) = MetricFixture.Expected(c);

        var batched = Run(c, inBatches: true);
        AssertClose(expected, shape, batched, "fed in batches");
        if (!MetricFixture.DependsOnBatches(c))
        {
            var whole = Run(c, inBatches: false);
            AssertClose(expected, shape, whole, "fed in one piece");
        }
    }

    [Fact]
    public void Fixture_CoversEveryMetricAndTheEdgeCases()
    {
        var cases = MetricFixture.Instance.Cases;
        var metrics = cases.Values.Select(c => (string)c["metric"]!).ToHashSet();
        string[] required = ["accuracy", "precision", "recall", "f1", "fbeta", "confusion_matrix", "mean_squared_error",
            "mean_absolute_error", "r2", "loss_mse", "loss_cross_entropy", "mean", "mean_weighted", "running_accuracy", "running_output"];
        Assert.Empty(required.Except(metrics));
        foreach (var prefix in new[] { "one_class_", "empty_classes_", "ties_top", "multilabel_", "constant_r2", "constant_exact_r2", "binary_no_positives_", "multilabel_no_positive_targets_weighted" })
            Assert.Contains(cases.Keys, k => k.StartsWith(prefix, StringComparison.Ordinal));
        foreach (var average in new[] { "micro", "macro", "weighted", "none" })
            Assert.Contains(cases.Values, c => (string?)c["average"] == average);
    }

    static (double[] Values, long[] Shape) Run(System.Text.Json.Nodes.JsonObject c, bool inBatches)
    {
        using var metric = MetricFixture.Create(c);
        MetricFixture.Instance.Feed(c, metric, inBatches);
        using var result = metric.ComputeTensor();
        if (result.dim() == 0) Assert.Equal(result.item<double>(), metric.Compute());
        return (result.data<double>().ToArray(), result.shape);
    }

    static void AssertClose(double[] expected, long[] shape, (double[] Values, long[] Shape) actual, string how)
    {
        Assert.Equal(shape, actual.Shape);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual.Values[i] - expected[i]) <= Tolerance,
                $"Element {i} {how}: expected {expected[i]:R}, got {actual.Values[i]:R}.");
    }
}
