using Unified.Core.Logging;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

public sealed class HistogramValuesTests
{
    [Fact]
    public void FromTensor_OfEqualValues_WidensTheRangeAsNumpyDoes()
    {
        using var values = full(5, 2.0f);
        var h = HistogramValues.FromTensor(values, bins: 4);

        Assert.Equal((2.0, 2.0, 5.0, 10.0, 20.0), (h.Min, h.Max, h.Count, h.Sum, h.SumSquares));
        Assert.Equal([1.5, 1.75, 2.0, 2.25, 2.5], h.BucketLimits);
        Assert.Equal(5.0, h.BucketCounts.Sum());
    }

    [Fact]
    public void FromTensor_RejectsEmptyAndNonFiniteTensors()
    {
        using var empty = zeros(0);
        using var nan = tensor(new[] { 1f, float.NaN });

        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => HistogramValues.FromTensor(empty)).Message);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => HistogramValues.FromTensor(nan)).Message);
    }
}
