using static TorchSharp.torch;

namespace Unified.Core.Logging;

/// <summary>
/// A histogram in TensorBoard's <c>HistogramProto</c> form: summary statistics plus bucket right edges and counts
/// (the first bucket is an empty one whose right edge is the data's left edge, as PyTorch's <c>make_histogram</c> writes).
/// </summary>
/// <param name="Min">Smallest value.</param>
/// <param name="Max">Largest value.</param>
/// <param name="Count">Number of values.</param>
/// <param name="Sum">Sum of the values.</param>
/// <param name="SumSquares">Sum of the squared values.</param>
/// <param name="BucketLimits">Right edge of every bucket, ascending.</param>
/// <param name="BucketCounts">Values in every bucket (same length as <paramref name="BucketLimits"/>).</param>
public sealed record HistogramValues(double Min, double Max, double Count, double Sum, double SumSquares,
    IReadOnlyList<double> BucketLimits, IReadOnlyList<double> BucketCounts)
{
    /// <summary>
    /// Bins <paramref name="values"/> into <paramref name="bins"/> equal-width buckets between its min and max. The
    /// statistics are computed on the tensor's device; reading them back is one host sync, so call it at epoch end or
    /// at logging intervals, not every step.
    /// </summary>
    /// <exception cref="ArgumentException">The tensor is empty or holds non-finite values.</exception>
    public static HistogramValues FromTensor(Tensor values, int bins = 64)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        if (values.numel() == 0) throw new ArgumentException("Cannot build a histogram of an empty tensor.", nameof(values));
        using var scope = NewDisposeScope();
        var flat = values.detach().flatten().to_type(ScalarType.Float64);
        var stats = stack([flat.min(), flat.max(), flat.sum(), flat.square().sum()]).cpu();
        var s = stats.data<double>().ToArray();
        double min = s[0], max = s[1];
        if (!double.IsFinite(min) || !double.IsFinite(max))
            throw new ArgumentException("Cannot build a histogram of a tensor with NaN or infinite values.", nameof(values));
        // numpy widens a degenerate range by 0.5 each side; histc would pick the range itself.
        (double low, double high) = min == max ? (min - 0.5, max + 0.5) : (min, max);
        // Equal-width buckets, the right edge in the last one (numpy's rule).
        var index = flat.sub(low).mul(bins / (high - low)).floor_().clamp_(0, bins - 1).to_type(ScalarType.Int64);
        var counts = bincount(index, null, bins).to_type(ScalarType.Float64).cpu().data<double>().ToArray();
        var limits = new double[bins + 1];
        var bucketCounts = new double[bins + 1];
        limits[0] = low;
        for (int i = 0; i < bins; i++)
        {
            limits[i + 1] = i + 1 == bins ? high : low + (high - low) * (i + 1) / bins;
            bucketCounts[i + 1] = counts[i];
        }
        return new HistogramValues(min, max, values.numel(), s[2], s[3], limits, bucketCounts);
    }
}
