using Unified.Core.Distributed;
using Unified.Core.Metrics;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

/// <summary>Sync over several ranks (threads, <see cref="ThreadProcessGroup"/>) gives what one process sees over all the data.</summary>
public sealed class MetricSyncTests
{
    /// <summary>Deterministic data: 4 classes, logits from a formula, some rows a rank keeps to itself.</summary>
    static (Tensor Logits, Tensor Labels, Tensor Values, Tensor Targets) Data(int from, int count)
    {
        var i = arange(from, from + count, ScalarType.Float64);
        var logits = stack([(i * 0.7).sin(), (i * 1.3).cos(), (i * 0.4).sin() * 2, (i * 2.1).cos() * 0.5], 1).to_type(ScalarType.Float32);
        var labels = (i * 7 % 4).to_type(ScalarType.Int64);
        var values = (i * 0.37).sin() + i * 0.01 + 1000;
        var targets = (i * 0.91).cos() + i * 0.01 + 1000;
        return (logits, labels, values, targets);
    }

    static MetricCollection Metrics() => new("val_")
    {
        { "accuracy", new Accuracy(ClassificationTask.Multiclass(4)) },
        { "top2", new Accuracy(ClassificationTask.Multiclass(4), topK: 2) },
        { "f1_macro", new F1(ClassificationTask.Multiclass(4), Average.Macro) },
        { "recall_none", new Recall(ClassificationTask.Multiclass(4), Average.None) },
        { "confusion", new ConfusionMatrix(ClassificationTask.Multiclass(4)) },
    };

    static MetricCollection Regression() => new("val_")
    {
        { "mse", new MeanSquaredError() },
        { "mae", new MeanAbsoluteError() },
        { "r2", new R2Score() },
    };

    /// <summary>Rank r holds rows [starts[r], starts[r+1]); ranks hold unequal shares, and one may hold none.</summary>
    static IReadOnlyDictionary<string, double> RunRanks(int[] starts, Func<MetricCollection> create, bool regression)
    {
        int world = starts.Length - 1;
        var results = new IReadOnlyDictionary<string, double>[world];
        ThreadProcessGroup.Run(world, group =>
        {
            using var metrics = create();
            int from = starts[group.Rank], to = starts[group.Rank + 1];
            for (int b = from; b < to; b += 5)
            {
                var (logits, labels, values, targets) = Data(b, Math.Min(5, to - b));
                if (regression) metrics.Update(values, targets);
                else metrics.Update(logits, labels);
            }
            metrics.Sync(group);
            results[group.Rank] = metrics.Compute();
        });
        for (int r = 1; r < world; r++) Assert.Equal(results[0], results[r]);
        return results[0];
    }

    static IReadOnlyDictionary<string, double> RunOnce(int count, Func<MetricCollection> create, bool regression)
    {
        using var metrics = create();
        var (logits, labels, values, targets) = Data(0, count);
        if (regression) metrics.Update(values, targets);
        else metrics.Update(logits, labels);
        return metrics.Compute();
    }

    static void AssertClose(IReadOnlyDictionary<string, double> expected, IReadOnlyDictionary<string, double> actual)
    {
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (key, value) in expected)
            Assert.True(Math.Abs(value - actual[key]) <= 1e-9 * Math.Max(1, Math.Abs(value)), $"{key}: expected {value:R}, got {actual[key]:R}.");
    }

    [Fact]
    public void Sync_OverThreeRanksWithUnequalShares_EqualsOneProcessOverAllData()
    {
        var expected = RunOnce(47, Metrics, regression: false);

        var synced = RunRanks([0, 23, 31, 47], Metrics, regression: false);

        AssertClose(expected, synced);
        Assert.True(expected.ContainsKey("val_confusion_3_3"));
    }

    [Fact]
    public void Sync_WithARankThatSawNoData_EqualsOneProcessOverAllData()
    {
        var expected = RunOnce(30, Metrics, regression: false);

        var synced = RunRanks([0, 0, 30], Metrics, regression: false);

        AssertClose(expected, synced);
    }

    [Fact]
    public void Sync_OfRegressionWithDifferentShiftsPerRank_EqualsOneProcessOverAllData()
    {
        // R2Score keeps its sums about each rank's first target; sync moves them to rank 0's before adding.
        var expected = RunOnce(40, Regression, regression: true);

        var synced = RunRanks([0, 9, 40], Regression, regression: true);

        AssertClose(expected, synced);
    }

    [Fact]
    public void Sync_OfMeanAndLoss_WeightsRanksBySamples()
    {
        var results = new double[2][];
        ThreadProcessGroup.Run(2, group =>
        {
            using var mean = new Mean();
            using var loss = new Loss((p, y) => nn.functional.mse_loss(p, y));
            var values = group.Rank == 0 ? tensor(new[] { 1.0, 2, 3 }) : tensor(new[] { 10.0 });
            mean.Update(values);
            loss.Update(values, zeros_like(values));
            mean.Sync(group);
            loss.Sync(group);
            results[group.Rank] = [mean.Compute(), loss.Compute(), mean.UpdateCount];
        });

        Assert.Equal(new[] { 4.0, (1 + 4 + 9 + 100) / 4.0, 2 }, results[0]);
        Assert.Equal(results[0], results[1]);
    }

    [Fact]
    public void Sync_OfRunningAverages_AveragesTheRanksAndAllowsMoreUpdates()
    {
        var results = new double[2][];
        ThreadProcessGroup.Run(2, group =>
        {
            using var running = new RunningAverage(alpha: 0.5);
            running.Update(tensor(group.Rank == 0 ? 2.0 : 4.0));
            running.Sync(group);
            double synced = running.Compute();
            running.Update(tensor(5.0));
            results[group.Rank] = [synced, running.Compute()];
        });

        Assert.Equal(new[] { 3.0, 4.0 }, results[0]);
        Assert.Equal(results[0], results[1]);
    }

    [Fact]
    public void Sync_ReportsInvalidInputsFromAnyRank()
    {
        var errors = new string?[2];
        ThreadProcessGroup.Run(2, group =>
        {
            using var accuracy = new Accuracy(ClassificationTask.Multiclass(3));
            var labels = group.Rank == 1 ? tensor(new long[] { 0, 7 }) : tensor(new long[] { 0, 1 });
            accuracy.Update(zeros(2, 3), labels);
            accuracy.Sync(group);
            errors[group.Rank] = Assert.Throws<InvalidOperationException>(() => accuracy.Compute()).Message;
        });

        Assert.All(errors, e => Assert.Contains("1 target class indices outside [0, 3)", e));
    }

    [Fact]
    public void Sync_WithTheSingleProcessGroup_KeepsTheValue()
    {
        using var f1 = new F1(ClassificationTask.Multiclass(4), Average.Weighted);
        var (logits, labels, _, _) = Data(0, 20);
        f1.Update(logits, labels);
        double before = f1.Compute();

        f1.Sync(SingleProcessGroup.Instance);

        Assert.Equal(before, f1.Compute());
        Assert.Equal(1, f1.UpdateCount);
    }

    [Fact]
    public void UpdateOrSync_AfterSync_ThrowsInvalidOperationUntilReset()
    {
        using var accuracy = new Accuracy();
        accuracy.Update(zeros(2, 3), tensor(new long[] { 0, 1 }));
        accuracy.Sync(SingleProcessGroup.Instance);

        var update = Assert.Throws<InvalidOperationException>(() => accuracy.Update(zeros(2, 3), tensor(new long[] { 0, 1 })));
        var sync = Assert.Throws<InvalidOperationException>(() => accuracy.Sync(SingleProcessGroup.Instance));
        Assert.Contains("Reset()", update.Message);
        Assert.Contains("twice", sync.Message);

        accuracy.Reset();
        accuracy.Update(zeros(2, 3), tensor(new long[] { 0, 0 }));
        Assert.Equal(1.0, accuracy.Compute());
    }
}
