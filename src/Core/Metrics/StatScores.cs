using static TorchSharp.torch;

namespace Unified.Core.Metrics;

/// <summary>Per-class counts of true positives, predicted positives and actual positives, and the divisions on them.</summary>
internal static class StatScores
{
    /// <summary>Counts for one batch, each of shape [K] (K = 1 for binary: the positive class), float64, without a host sync.</summary>
    public static (Tensor TruePositives, Tensor Predicted, Tensor Actual) Count(ClassificationInput input, ClassificationKind kind)
    {
        var (p, t) = (input.Predicted, input.Target);
        switch (kind)
        {
            case ClassificationKind.Multiclass:
                var device = t.device;
                var hits = p.eq(t).to_type(ScalarType.Float64);
                var one = ones(t.shape[0], ScalarType.Float64, device);
                return (Tally(t, hits, input.Classes), Tally(p, one, input.Classes), Tally(t, one, input.Classes));
            case ClassificationKind.Multilabel:
                return (p.logical_and(t).sum(dim: 0, type: ScalarType.Float64), p.sum(dim: 0, type: ScalarType.Float64), t.sum(dim: 0, type: ScalarType.Float64));
            default:
                return (p.logical_and(t).sum(ScalarType.Float64).reshape(1), p.sum(ScalarType.Float64).reshape(1), t.sum(ScalarType.Float64).reshape(1));
        }
    }

    /// <summary>A bincount with a fixed length (index_add_ needs no host sync, unlike torch.bincount on CUDA).</summary>
    public static Tensor Tally(Tensor index, Tensor weights, long length) =>
        zeros(length, ScalarType.Float64, index.device).index_add_(0, index, weights, 1);

    /// <summary><paramref name="numerator"/> / <paramref name="denominator"/>, with <paramref name="zeroDivision"/> where the denominator is 0 (scikit-learn's <c>_prf_divide</c>).</summary>
    public static Tensor Divide(Tensor numerator, Tensor denominator, double zeroDivision)
    {
        var empty = denominator.eq(0);
        return where(empty, full_like(numerator, zeroDivision), numerator / where(empty, ones_like(denominator), denominator));
    }
}
