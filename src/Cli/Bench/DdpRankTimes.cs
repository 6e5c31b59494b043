namespace Unified.Cli.Bench;

/// <summary>What one launch of <c>unified bench ddp-worker</c> measured (rank 0 reports it): medians in seconds per epoch.</summary>
/// <param name="Ranks">Processes of the launch.</param>
/// <param name="LightningSeconds">Epoch through the Lightning front-end.</param>
/// <param name="LightningCommSeconds">Of which waiting for gradient all-reduces.</param>
/// <param name="RawSeconds">Epoch of the hand-written loop.</param>
/// <param name="RawCommSeconds">Of which waiting for gradient all-reduces.</param>
/// <param name="OverlapSeconds">Hand-written loop with small buckets all-reduced during backward.</param>
/// <param name="AllReduceMs">Median all-reduce milliseconds by size in MiB (empty for one rank).</param>
public sealed record DdpRankTimes(int Ranks, double LightningSeconds, double LightningCommSeconds, double RawSeconds, double RawCommSeconds,
    double OverlapSeconds, IReadOnlyDictionary<string, double> AllReduceMs);
