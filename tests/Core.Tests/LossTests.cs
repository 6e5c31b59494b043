using Unified.Core.Metrics;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

[Collection(TorchCollection.Name)]
public sealed class LossTests
{
    static Loss MeanSquaredError() => new((p, y) => nn.functional.mse_loss(p, y));

    [Fact]
    public void Compute_GivesTheSampleWeightedMeanOfBatchLosses()
    {
        using var loss = MeanSquaredError();
        using var p1 = tensor(new float[] { 1, 2 });
        using var y1 = tensor(new float[] { 0, 0 });
        using var p2 = tensor(new float[] { 3 });
        using var y2 = tensor(new float[] { 0 });

        loss.Update(p1, y1); // mean 2.5 over 2 samples
        loss.Update(p2, y2); // mean 9 over 1 sample

        Assert.Equal((2.5 * 2 + 9) / 3, loss.Compute(), 6);
    }

    [Fact]
    public void Compute_WithCrossEntropy_MatchesTheLossOverAllSamples()
    {
        using var loss = new Loss((p, y) => nn.functional.cross_entropy(p, y));
        using var logits = tensor(new float[] { 2, 1, 0, 0, 1, 2, 1, 1, 1, 3, 0, 0, -1, 0, 2 }, 5, 3);
        using var targets = tensor(new long[] { 0, 2, 1, 1, 2 });

        loss.Update(logits.narrow(0, 0, 2), targets.narrow(0, 0, 2));
        loss.Update(logits.narrow(0, 2, 3), targets.narrow(0, 2, 3));

        using var expected = nn.functional.cross_entropy(logits, targets);
        Assert.Equal(expected.item<float>(), loss.Compute(), 6);
    }

    [Fact]
    public void Compute_BeforeUpdate_ThrowsInvalidOperation()
    {
        using var loss = MeanSquaredError();

        var e = Assert.Throws<InvalidOperationException>(() => loss.Compute());
        Assert.Contains("Loss", e.Message);
    }

    [Fact]
    public void Reset_ClearsTheState()
    {
        using var loss = MeanSquaredError();
        using var p = tensor(new float[] { 1 });
        using var y = tensor(new float[] { 0 });
        loss.Update(p, y);

        loss.Reset();

        Assert.Throws<InvalidOperationException>(() => loss.Compute());
    }

    [Fact]
    public void Update_WithANonScalarLoss_ThrowsArgument()
    {
        using var loss = new Loss((p, y) => nn.functional.mse_loss(p, y, nn.Reduction.None));
        using var p = tensor(new float[] { 1, 2 });
        using var y = tensor(new float[] { 0, 0 });

        var e = Assert.Throws<ArgumentException>(() => loss.Update(p, y));
        Assert.Contains("scalar", e.Message);
    }

    [Fact]
    public void Update_WithMismatchedBatchSizes_ThrowsArgument()
    {
        // mse_loss would broadcast [3, 1] against [3] into 3x3 and return a plausible, wrong number.
        using var loss = MeanSquaredError();
        using var p = tensor(new float[] { 1, 2, 3 }).reshape(3, 1);
        using var y = tensor(new float[] { 1, 2 });

        var e = Assert.Throws<ArgumentException>(() => loss.Update(p, y));
        Assert.Contains("[3, 1]", e.Message);
        Assert.Contains("[2]", e.Message);
    }
}
