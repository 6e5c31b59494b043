using Unified.Core.Metrics;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

/// <summary>Ignite's RunningAverage: the first value, then avg·α + v·(1 − α), per update, of an output or of a metric on that batch alone.</summary>
public sealed class RunningAverageTests
{
    [Fact]
    public void OutputMode_StartsAtTheFirstValueThenBlends()
    {
        using var running = new RunningAverage(alpha: 0.5);

        var seen = new List<double>();
        foreach (var v in new[] { 2.0, 4.0, 8.0 })
        {
            running.Update(tensor(v));
            seen.Add(running.Compute());
        }

        Assert.Equal(new[] { 2.0, 3.0, 5.5 }, seen);
    }

    [Fact]
    public void OutputMode_BlendsTheOutputsMeanInIgnitesOrderOfOperations()
    {
        // ignite/metrics/running_average.py: self._value = self._value * self.alpha + (1.0 - self.alpha) * value
        using var running = new RunningAverage(alpha: 0.9);
        running.Update(tensor(new[] { 0.1f, 0.2f, 0.4f }));
        running.Update(tensor(0.3f));

        double first = ((double)0.1f + (double)0.2f + (double)0.4f) / 3;
        Assert.Equal(first * 0.9 + 0.3f * (1 - 0.9), running.Compute());
    }

    [Fact]
    public void OutputMode_WithABooleanOutput_ThrowsArgumentAndKeepsNoUpdate()
    {
        using var running = new RunningAverage();

        var e = Assert.Throws<ArgumentException>(() => running.Update(tensor(true)));

        Assert.Contains("real numbers", e.Message);
        Assert.Equal(0, running.UpdateCount);
    }

    [Fact]
    public void OutputMode_DefaultAlphaIsIgnites()
    {
        using var running = new RunningAverage();
        running.Update(tensor(1.0));
        running.Update(tensor(0.0));

        Assert.Equal(0.98, running.Alpha);
        Assert.Equal(0.98, running.Compute(), 12);
    }

    [Fact]
    public void MetricMode_ComputesTheSourceOnEachBatchAlone()
    {
        using var running = new RunningAverage(new Accuracy(), alpha: 0.5);
        var right = tensor(new[] { 1f, 0f, 1f, 0f }).reshape(2, 2);

        running.Update(right, tensor(new long[] { 0, 0 }));  // batch accuracy 1
        running.Update(right, tensor(new long[] { 1, 1 }));  // batch accuracy 0, not the cumulative 0.5

        Assert.Equal(0.5, running.Compute(), 12);
    }

    [Fact]
    public void Reset_StartsAgainFromTheNextValue()
    {
        using var running = new RunningAverage(alpha: 0.9);
        running.Update(tensor(10.0));

        running.Reset();
        running.Update(tensor(1.0));

        Assert.Equal(1.0, running.Compute());
    }

    [Fact]
    public void MetricMode_ReportsInvalidInputsOfTheSource()
    {
        using var running = new RunningAverage(new Accuracy(ClassificationTask.Multiclass(2)));
        running.Update(zeros(1, 2), tensor(new long[] { 5 }));
        running.Update(zeros(1, 2), tensor(new long[] { 0 }));

        var e = Assert.Throws<InvalidOperationException>(() => running.Compute());

        Assert.Contains("1 target class indices outside [0, 2)", e.Message);
    }

    [Fact]
    public void UpdateWithOneTensor_OnAMetricSource_ThrowsInvalidOperation()
    {
        using var running = new RunningAverage(new Accuracy());

        var e = Assert.Throws<InvalidOperationException>(() => running.Update(tensor(1.0)));

        Assert.Contains("Update(predictions, targets)", e.Message);
    }

    [Fact]
    public void Update_WithANonScalarSource_ThrowsArgument()
    {
        using var running = new RunningAverage(new Recall(ClassificationTask.Multiclass(2), Average.None));

        var e = Assert.Throws<ArgumentException>(() => running.Update(zeros(1, 2), tensor(new long[] { 0 })));

        Assert.Contains("scalar", e.Message);
    }

    [Fact]
    public void Dispose_DisposesTheSource()
    {
        var source = new Accuracy();
        new RunningAverage(source).Dispose();

        Assert.Throws<ObjectDisposedException>(() => source.Reset());
    }
}
