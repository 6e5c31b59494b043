using Unified.Core.Training;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

[Collection(TorchCollection.Name)]
public sealed class LoggedMetricsTests
{
    [Fact]
    public void Compute_GivesTheBatchSizeWeightedMean()
    {
        using var logged = new LoggedMetrics();

        logged.Add("loss", tensor(1.0f), batchSize: 1);
        logged.Add("loss", tensor(4.0f), batchSize: 3);
        logged.Add("acc", tensor(0.5), batchSize: 2);

        var means = logged.Compute();
        Assert.Equal(3.25, means["loss"], 12);
        Assert.Equal(0.5, means["acc"], 12);
        Assert.Equal(new[] { "loss", "acc" }, logged.Names);
    }

    [Fact]
    public void Add_AcceptsOneElementTensorsOfAnyShape()
    {
        using var logged = new LoggedMetrics();

        logged.Add("x", tensor(new float[] { 2f }).reshape(1, 1), batchSize: 2);
        logged.Add("x", tensor(5f), batchSize: 2);

        Assert.Equal(3.5, logged.Compute()["x"], 12);
    }

    [Fact]
    public void Add_DoesNotKeepAGraphOrAliasTheLoggedTensor()
    {
        using var logged = new LoggedMetrics();
        using var value = tensor(2f, requires_grad: true);

        using (var scaled = value * 3) logged.Add("x", scaled);
        using (no_grad()) value.add_(10f);

        Assert.Equal(6.0, logged.Compute()["x"], 12);
    }

    [Fact]
    public void Add_NonScalar_ThrowsNamingTheValue()
    {
        using var logged = new LoggedMetrics();

        var e = Assert.Throws<ArgumentException>(() => logged.Add("val_loss", tensor(new float[] { 1, 2 })));
        Assert.Contains("val_loss", e.Message);
        Assert.Contains("scalars", e.Message);
        Assert.Empty(logged.Names);
    }

    [Fact]
    public void Add_NonPositiveBatchSize_Throws()
    {
        using var logged = new LoggedMetrics();

        Assert.Throws<ArgumentOutOfRangeException>(() => logged.Add("x", tensor(1f), batchSize: 0));
    }

    [Fact]
    public void Reset_ForgetsEveryValue()
    {
        using var logged = new LoggedMetrics();
        logged.Add("x", tensor(1f), showOnProgressBar: true);

        logged.Reset();
        logged.Add("y", tensor(7f));

        Assert.Equal(new[] { "y" }, logged.Names);
        Assert.Equal(7.0, Assert.Single(logged.Compute()).Value, 12);
    }

    [Fact]
    public void ProgressBarNames_HoldOnlyTheValuesThatAskedForIt()
    {
        using var logged = new LoggedMetrics();

        logged.Add("train_loss", tensor(1f), showOnProgressBar: true);
        logged.Add("lr", tensor(1f));

        Assert.Equal(new[] { "train_loss" }, logged.ProgressBarNames);
    }

    [Fact]
    public void Add_InsideADisposeScope_KeepsTheRunningSumAlive()
    {
        using var logged = new LoggedMetrics();

        for (int i = 1; i <= 3; i++)
        {
            using var scope = NewDisposeScope();
            logged.Add("x", tensor((float)i) * 1f);
        }

        Assert.Equal(2.0, logged.Compute()["x"], 12);
    }
}
