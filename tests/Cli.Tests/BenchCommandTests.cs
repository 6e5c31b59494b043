using Xunit;
namespace Unified.Cli.Tests;

[Collection(TorchCollection.Name)]
public sealed class BenchCommandTests
{
    [Fact]
    public void BenchOverhead_WithJson_ReportsBothRatiosFromPositiveTimes()
    {
        var run = CliRun.Of("bench", "overhead", "--rounds", "3", "--skip-malloc", "--json");

        Assert.True(run.ExitCode == 0, run.Error);
        var json = run.Json();
        foreach (string key in new[] { "raw_seconds", "lightning_seconds", "ignite_seconds" })
            Assert.True(json.GetProperty(key).GetDouble() > 0, key);
        Assert.Equal(json.GetProperty("lightning_seconds").GetDouble() / json.GetProperty("raw_seconds").GetDouble(),
            json.GetProperty("lightning_ratio").GetDouble(), 9);
        Assert.Equal(json.GetProperty("ignite_seconds").GetDouble() / json.GetProperty("raw_seconds").GetDouble(),
            json.GetProperty("ignite_ratio").GetDouble(), 9);
    }

    [Fact]
    public void BenchOverhead_WithTooFewRounds_ExitsWithTwo()
    {
        var run = CliRun.Of("bench", "overhead", "--rounds", "2");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--rounds", run.Error);
    }
}
