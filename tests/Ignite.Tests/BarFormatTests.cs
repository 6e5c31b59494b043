using Unified.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Unified.Ignite.Tests;

/// <summary>
/// ProgressBar's bar_format, rendered as tqdm's format_meter renders Ignite's default
/// (ignite/handlers/tqdm_logger.py: '{desc}[{n_fmt}/{total_fmt}] {percentage:3.0f}%|{bar}{postfix} [{elapsed}&lt;{remaining}]';
/// expected lines from tests/ignite/handlers/test_tqdm_logger.py, e.g. "Epoch [2/2]: [1/2]  50%|█████     , a=1 [00:00&lt;00:00]").
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class BarFormatTests
{
    static readonly BarFormat Default = new(BarFormat.IgniteDefault);

    [Fact]
    public void IgniteDefault_HalfWay_MatchesIgnitesTestLine()
    {
        Assert.Equal("Epoch [2/2]: [1/2]  50%|█████     , a=1 [00:00<00:00]",
            Default.Render("Epoch [2/2]", 1, 2, TimeSpan.FromMilliseconds(500), "a=" + BarFormat.FormatNumber(1)));
        Assert.Equal("Iteration: [1/2]  50%|█████     , a=1 [00:00<00:00]",
            Default.Render("Iteration", 1, 2, TimeSpan.FromMilliseconds(500), "a=1"));
    }

    [Fact]
    public void Bar_FillsCellsThenOneEighthCell_AndNoPostfixLeavesNoComma()
    {
        Assert.Equal("Epoch: [1/3]  33%|███▎" + new string(' ', 6) + " [00:02<00:04]", Default.Render("Epoch", 1, 3, TimeSpan.FromSeconds(2), null));
        Assert.Equal("[3/3] 100%|██████████ [00:02<00:00]", Default.Render(null, 3, 3, TimeSpan.FromSeconds(2), ""));
    }

    [Fact]
    public void UnknownTotalAndNoStep_ShowQuestionMarks()
    {
        Assert.Equal("[0/?]   0%|" + new string(' ', 10) + " [00:00<?]", Default.Render("", 0, null, TimeSpan.Zero, null));
        Assert.Equal("?it/s", new BarFormat("{rate_fmt}").Render("", 0, 10, TimeSpan.Zero, null));
    }

    [Fact]
    public void RateAndElapsed_AsTqdmFormatsThem()
    {
        // Python's '^' puts the odd padding on the right.
        var format = new BarFormat("{n}/{total} {elapsed} {rate_fmt}|{percentage:>6.1f}|{desc:^9}|");

        Assert.Equal("3/10 00:02  1.50it/s|  30.0| Loss:   |", format.Render("Loss", 3, 10, TimeSpan.FromSeconds(2), null));
        Assert.Equal("1/10 1:02:05 3725.00s/it|  10.0| Loss:   |", format.Render("Loss", 1, 10, TimeSpan.FromSeconds(3725), null));
    }

    [Theory]
    [InlineData(0.123456, "0.123")]
    [InlineData(1.0, "1")]
    [InlineData(0.25, "0.25")]
    [InlineData(1234.5, "1234.5")]
    [InlineData(123456789.0, "1.23e+8")]
    [InlineData(0.00001, "1e-5")]
    public void FormatNumber_IsTqdmsFormatNum(double value, string expected) => Assert.Equal(expected, BarFormat.FormatNumber(value));

    [Theory]
    [InlineData("{desc}{speed}", "{speed}")]
    [InlineData("{percentage:3.0e}", "3.0e")]
    public void AnUnknownPlaceholderOrSpec_ThrowsArgumentNamingIt(string format, string named)
    {
        var e = Assert.Throws<ArgumentException>(() => new ProgressBar(barFormat: format));

        Assert.Contains(named, e.Message);
    }

    [Fact]
    public void ProgressBar_WithABarFormat_WritesEachEpochsBarWithTheMetricsAsPostfix()
    {
        using var data = CountingData.Loader(6, 2);
        var output = new StringWriter();
        var engine = new Engine((e, _) => tensor(1.0f / e.State.Iteration));
        engine.On(Events.EpochCompleted, e => e.State.Metrics["accuracy"] = 0.5 * e.State.Epoch);
        new ProgressBar(output: output, barFormat: BarFormat.IgniteDefault).Attach(engine, metricNames: ["accuracy"]);

        engine.Run(data, maxEpochs: 2);

        Assert.Equal(new[]
        {
            "Epoch [1/2]: [3/3] 100%|██████████, accuracy=0.5 [00:00<00:00]",
            "Epoch [2/2]: [3/3] 100%|██████████, accuracy=1 [00:00<00:00]",
        }, output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }
}
