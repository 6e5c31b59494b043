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

    // ignite/metrics/running_average.py RunningAverage.update: _value * alpha + (1.0 - alpha) * value, here in float64.
    // A one-element CPU loss is blended on the host; a two-element [v, v] output (mean v, exactly) takes the kernels
    // (sum, division, mul_, add_): the two must agree bitwise over a long run, and with a number given directly.
    [Fact]
    public void OutputMode_OneElementLossesOnTheHost_MatchTheTensorKernelsBitwise()
    {
        using var host = new RunningAverage(alpha: 0.98);
        using var kernels = new RunningAverage(alpha: 0.98);
        using var numbers = new RunningAverage(alpha: 0.98);
        var random = new Random(7);
        for (int i = 0; i < 500; i++)
        {
            float loss = (float)(random.NextDouble() * 3);
            using var scalar = tensor(loss);
            using var pair = tensor(new[] { loss, loss });
            host.Update(scalar);
            kernels.Update(pair);
            numbers.Update((double)loss);

            Assert.Equal(BitConverter.DoubleToInt64Bits(kernels.Compute()), BitConverter.DoubleToInt64Bits(host.Compute()));
            Assert.Equal(BitConverter.DoubleToInt64Bits(kernels.Compute()), BitConverter.DoubleToInt64Bits(numbers.Compute()));
        }
        Assert.Equal(500, host.UpdateCount);
    }

    [Fact]
    public void OutputMode_AHostBlendedState_SavesAndRestoresLikeAnyOther()
    {
        using var running = new RunningAverage(alpha: 0.5);
        running.Update(tensor(2f));
        running.Update(tensor(4f));
        using var restored = new RunningAverage(alpha: 0.5);

        restored.LoadStateDict(running.StateDict());
        restored.Update(tensor(8f));

        Assert.Equal(5.5, restored.Compute());
    }

    // The host mirror of a one-element update must not outlive a load, reset or kernel update of the state.
    [Fact]
    public void OutputMode_AfterLoadResetOrKernelUpdate_ComputesTheNewState()
    {
        using var saved = new RunningAverage(alpha: 0.5);
        saved.Update(tensor(10f));
        using var running = new RunningAverage(alpha: 0.5);
        running.Update(tensor(2f));

        running.LoadStateDict(saved.StateDict());
        Assert.Equal(10.0, running.Compute());

        running.Update(tensor(new[] { 4f, 8f }));   // the kernels: 10·0.5 + 6·0.5
        Assert.Equal(8.0, running.Compute());
        running.Update(tensor(0f));
        Assert.Equal(4.0, running.Compute());

        running.Reset();
        running.Update(tensor(new[] { 1f, 3f }));
        Assert.Equal(2.0, running.Compute());
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
