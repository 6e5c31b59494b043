using Unified.Core.Metrics;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

/// <summary>R² edge cases beyond the scikit-learn fixture.</summary>
public sealed class R2ScoreTests
{
    [Fact]
    public void Compute_ForAConstantTargetThatIsNotExactInBinary_IsZeroWhenPredictionsMiss()
    {
        // scikit-learn gets ≈ -5e29 here: its mean of seven 0.1s is off by one ulp, so Σ(y − ȳ)² is 1e-33, not 0.
        // Sums taken about the first target stay exactly 0.
        using var r2 = new R2Score();
        var targets = full(7, 0.1, ScalarType.Float64);

        r2.Update(targets + 0.01, targets);

        Assert.Equal(0.0, r2.Compute());
    }

    [Fact]
    public void Compute_ForTargetsWithALargeMean_KeepsFullPrecision()
    {
        using var r2 = new R2Score();
        var targets = tensor(new[] { 1e9 + 1, 1e9 + 2, 1e9 + 3, 1e9 + 4 });
        var predictions = tensor(new[] { 1e9 + 1, 1e9 + 2, 1e9 + 3, 1e9 + 5 });

        r2.Update(predictions.narrow(0, 0, 2), targets.narrow(0, 0, 2));
        r2.Update(predictions.narrow(0, 2, 2), targets.narrow(0, 2, 2));

        Assert.Equal(1 - 1 / 5.0, r2.Compute(), 12);
    }

    [Fact]
    public void Compute_WithFewerThanTwoSamples_IsNaN()
    {
        using var r2 = new R2Score();
        r2.Update(tensor(new[] { 1.0 }), tensor(new[] { 2.0 }));

        Assert.True(double.IsNaN(r2.Compute()));
    }

    [Fact]
    public void Compute_WithRawValues_GivesOneScorePerOutput()
    {
        using var r2 = new R2Score(outputs: 2, R2Multioutput.RawValues);
        var targets = tensor(new[] { 1.0, 5, 2, 5, 3, 5 }).reshape(3, 2);
        r2.Update(targets, targets);

        using var scores = r2.ComputeTensor();

        Assert.Equal(new long[] { 2 }, scores.shape);
        Assert.Equal(new[] { 1.0, 1.0 }, scores.data<double>().ToArray());
    }
}
