using Unified.Core.State;
using Unified.Core.Training;
using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

/// <summary>
/// LoggedMetrics with Lightning's log options (logger_connector/result.py _ResultMetric: the reduction per name, the
/// latest step value, suffixed names of a value logged both ways), and their state across a checkpoint.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class LoggedMetricsOptionsTests
{
    [Fact]
    public void MaxReduction_AndStepValues_WithSuffixedNames()
    {
        using var logged = new LoggedMetrics();
        var both = new LogOptions { OnStep = true, OnEpoch = true, Reduce = Reduction.Max };
        foreach (double v in new[] { 0.5, 2.0, 1.0 })
        {
            using var t = tensor(v);
            logged.Add("x", t, 1, both);
        }

        var epoch = logged.ComputeEpoch(null);
        var step = logged.ComputeStep();

        Assert.Equal(2.0, epoch.Callback["x"]);
        Assert.Equal(2.0, epoch.Logged["x_epoch"]);
        Assert.False(epoch.Logged.ContainsKey("x"));
        Assert.Equal(1.0, step.Callback["x_step"]);
        Assert.Equal(1.0, step.Logged["x_step"]);
    }

    [Fact]
    public void Options_SurviveTheStateDict()
    {
        using var logged = new LoggedMetrics();
        using var a = tensor(3.0);
        using var b = tensor(5.0);
        var sum = new LogOptions { Reduce = Reduction.Sum };
        logged.Add("s", a, 4, sum);
        using var restored = new LoggedMetrics();
        restored.LoadStateDict(logged.StateDict());
        restored.Add("s", b, 4, sum); // the same options: accepted, and summed without the batch-size weight

        Assert.Equal(8.0, restored.Compute()["s"]);
    }

    [Fact]
    public void NonFiniteStateValues_RoundTripThroughJson()
    {
        foreach (double v in new[] { double.PositiveInfinity, double.NegativeInfinity })
            Assert.Equal(v, (double)JsonScalar.To(JsonScalar.From(v), typeof(double), "best")!);
        Assert.True(double.IsNaN((double)JsonScalar.To(JsonScalar.From(double.NaN), typeof(double), "best")!));
    }
}
