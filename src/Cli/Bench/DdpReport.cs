using System.Text.Json.Serialization;

namespace Unified.Cli.Bench;

/// <summary>
/// The result of <c>unified bench ddp</c> on the digits CNN, one thread per rank, the same global samples per epoch:
/// the Lightning front-end with 1 and 2 ranks, and a hand-written TorchSharp loop over the same DDP pieces beside it.
/// </summary>
/// <param name="SamplesPerSecond1Rank">Lightning front-end, one process.</param>
/// <param name="SamplesPerSecond2Ranks">Lightning front-end, two ranks (the samples of both).</param>
/// <param name="ScalingEfficiency"><paramref name="SamplesPerSecond2Ranks"/> / (2 × <paramref name="SamplesPerSecond1Rank"/>).</param>
/// <param name="CommFraction">Share of the 2-rank epoch spent completing gradient all-reduces after backward.</param>
/// <param name="RawSamplesPerSecond1Rank">Hand-written loop, one process.</param>
/// <param name="RawSamplesPerSecond2Ranks">Hand-written loop with <c>DistributedDataParallel</c>, two ranks.</param>
/// <param name="RawScalingEfficiency">The hand-written loop's scaling efficiency.</param>
/// <param name="RawCommFraction">The hand-written loop's communication share.</param>
/// <param name="OverlapSamplesPerSecond2Ranks">Hand-written loop, two ranks, 10 KiB buckets all-reduced during backward.</param>
/// <param name="AllReduceMs">Median 2-rank all-reduce time in milliseconds by buffer size in MiB.</param>
/// <param name="BatchSizePerRank">Samples per step on each rank.</param>
/// <param name="SamplesPerEpoch">Samples of one epoch, all ranks together.</param>
/// <param name="Rounds">Timed epochs per configuration (medians), after one warm-up epoch.</param>
public sealed record DdpReport(
    [property: JsonPropertyName("samples_per_second_1rank")] double SamplesPerSecond1Rank,
    [property: JsonPropertyName("samples_per_second_2ranks")] double SamplesPerSecond2Ranks,
    double ScalingEfficiency,
    double CommFraction,
    [property: JsonPropertyName("raw_samples_per_second_1rank")] double RawSamplesPerSecond1Rank,
    [property: JsonPropertyName("raw_samples_per_second_2ranks")] double RawSamplesPerSecond2Ranks,
    double RawScalingEfficiency,
    double RawCommFraction,
    [property: JsonPropertyName("overlap_samples_per_second_2ranks")] double OverlapSamplesPerSecond2Ranks,
    IReadOnlyDictionary<string, double> AllReduceMs,
    int BatchSizePerRank,
    int SamplesPerEpoch,
    int Rounds);
