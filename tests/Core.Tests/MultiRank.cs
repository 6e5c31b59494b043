using Unified.Core.Distributed;
using Unified.Testing;
using Xunit;

namespace Unified.Core.Tests;

/// <summary>Runs a <see cref="DistributedWorker"/> scenario on 2 ranks under mpirun, with a hard timeout.</summary>
public static class MultiRank
{
    /// <summary>Multi-rank tests run one launch at a time: two ranks already fill the two cores.</summary>
    public const string Collection = "MultiRank";

    /// <summary>Collective timeout inside the ranks: a hang fails fast instead of waiting 5 minutes.</summary>
    static readonly Dictionary<string, string> Environment = new() { [ProcessGroupOptions.TimeoutVariable] = "30" };

    /// <summary>Runs the scenario; returns what the ranks printed.</summary>
    public static MpiRun Run(params string[] scenario) =>
        MpiRun.Start(2, typeof(DistributedWorker).Assembly.Location, scenario, TimeSpan.FromSeconds(120), Environment);

    /// <summary>Runs the scenario and asserts that both ranks passed.</summary>
    public static MpiRun Pass(params string[] scenario)
    {
        var run = Run(scenario);
        Assert.True(run.ExitCode == 0, run.ToString());
        foreach (int rank in new[] { 0, 1 })
            Assert.Contains($"PASS {string.Join(' ', scenario)} rank {rank}", run.Output);
        return run;
    }
}

/// <summary>The collection of tests that launch ranks (one launch at a time).</summary>
[CollectionDefinition(MultiRank.Collection)]
public sealed class MultiRankCollection;
