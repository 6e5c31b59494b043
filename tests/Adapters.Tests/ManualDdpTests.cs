using System.Text.RegularExpressions;
using Unified.Core.Distributed;
using Unified.Testing;
using Xunit;

namespace Unified.Adapters.Tests;

/// <summary>
/// Lightning's manual optimisation under ddp: manual_backward goes through the strategy's backward
/// (core/module.py manual_backward: self.trainer.strategy.backward), so gradients are averaged over the ranks as in the
/// automatic path. Stepping by hand every 2nd batch on loss / 2 must end bitwise where automatic accumulation of 2 ends
/// (the same all-reduce of the same accumulated gradients), with communication overlapped with backward switched on.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed partial class ManualDdpTests
{
    [Fact]
    public void TwoRanks_ManualStepEverySecondBatch_EndsBitwiseWhereAutomaticAccumulationOfTwoEnds()
    {
        using var directory = new TempDirectory();
        var run = MpiRun.Start(2, typeof(ManualDdpWorker).Assembly.Location, ["manual", directory.Path], TimeSpan.FromSeconds(150),
            new Dictionary<string, string> { [ProcessGroupOptions.TimeoutVariable] = "30" });
        Assert.True(run.ExitCode == 0, run.ToString());
        var lines = RankLine().Matches(run.Output).ToDictionary(m => (m.Groups["mode"].Value, int.Parse(m.Groups["rank"].Value)), m => m);
        Assert.Equal(4, lines.Count);

        foreach (var line in lines.Values) Assert.Equal((ManualDdpWorker.Batches / 2).ToString(), line.Groups["steps"].Value);
        string expected = lines[("automatic", 0)].Groups["sha"].Value;
        Assert.Equal(expected, lines[("automatic", 1)].Groups["sha"].Value);
        Assert.Equal(expected, lines[("manual", 0)].Groups["sha"].Value);
        Assert.Equal(expected, lines[("manual", 1)].Groups["sha"].Value);
    }

    [GeneratedRegex(@"(?<mode>automatic|manual) rank (?<rank>\d) sha256 (?<sha>[0-9a-f]{64}) steps (?<steps>\d+)")]
    private static partial Regex RankLine();
}
