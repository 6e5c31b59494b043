using Unified.Core.Metrics;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

[Collection(TorchCollection.Name)]
public sealed class AccuracyTests
{
    static Tensor Logits(params float[][] rows) => tensor(rows.SelectMany(r => r).ToArray(), rows.Length, rows[0].Length);

    [Fact]
    public void Compute_GivesTheShareOfTop1Hits()
    {
        using var accuracy = new Accuracy();
        using var logits = Logits([0.1f, 0.9f, 0f], [2f, 1f, 0f], [0f, 0f, 5f], [1f, 3f, 2f]);
        using var targets = tensor(new long[] { 1, 0, 1, 2 });

        accuracy.Update(logits, targets);

        Assert.Equal(0.5, accuracy.Compute(), 12);
    }

    [Fact]
    public void Compute_AccumulatesOverBatchesWeightedBySamples()
    {
        using var accuracy = new Accuracy();
        using var first = Logits([1f, 0f], [1f, 0f], [1f, 0f]);
        using var firstTargets = tensor(new long[] { 0, 0, 0 });
        using var second = Logits([1f, 0f]);
        using var secondTargets = tensor(new long[] { 1 });

        accuracy.Update(first, firstTargets);
        accuracy.Update(second, secondTargets);

        Assert.Equal(0.75, accuracy.Compute(), 12);
    }

    [Fact]
    public void Compute_BeforeUpdate_ThrowsInvalidOperation()
    {
        using var accuracy = new Accuracy();

        var e = Assert.Throws<InvalidOperationException>(() => accuracy.Compute());
        Assert.Contains("Accuracy", e.Message);
    }

    [Fact]
    public void Reset_ClearsTheState()
    {
        using var accuracy = new Accuracy();
        using var logits = Logits([1f, 0f]);
        using var targets = tensor(new long[] { 0 });
        accuracy.Update(logits, targets);

        accuracy.Reset();

        Assert.Throws<InvalidOperationException>(() => accuracy.Compute());
    }

    [Fact]
    public void Update_WithMismatchedBatchSizes_ThrowsArgument()
    {
        using var accuracy = new Accuracy();
        using var logits = Logits([1f, 0f], [0f, 1f]);
        using var targets = tensor(new long[] { 0, 1, 1 });

        var e = Assert.Throws<ArgumentException>(() => accuracy.Update(logits, targets));
        Assert.Contains("[2, 2]", e.Message);
        Assert.Contains("[3]", e.Message);
    }

    [Fact]
    public void Update_WithOneDimensionalPredictions_ThrowsArgument()
    {
        using var accuracy = new Accuracy();
        using var predictions = tensor(new float[] { 1f, 0f });
        using var targets = tensor(new long[] { 0, 1 });

        Assert.Throws<ArgumentException>(() => accuracy.Update(predictions, targets));
    }

    [Fact]
    public void Update_DoesNotLeakTensors()
    {
        using var accuracy = new Accuracy();
        using var logits = Logits([1f, 0f], [0f, 1f]);
        using var targets = tensor(new long[] { 0, 0 });
        accuracy.Update(logits, targets);

        long before = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 20; i++) accuracy.Update(logits, targets);
        long after = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        Assert.Equal(before, after);
        Assert.Equal(0.5, accuracy.Compute(), 12);
    }
}
