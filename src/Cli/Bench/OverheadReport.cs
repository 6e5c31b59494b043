namespace Unified.Cli.Bench;

/// <summary>The result of <c>unified bench overhead</c> (medians over interleaved rounds; DESIGN.md's keys).</summary>
public sealed record OverheadReport(
    double RawSeconds,
    double LightningSeconds,
    double IgniteSeconds,
    double LightningRatio,
    double IgniteRatio,
    int Rounds,
    int StepsPerEpoch,
    int Threads,
    double RawStepMs,
    double? StepMsMallocDefault,
    double? StepMsMallocTuned,
    double? MallocSpeedup,
    bool MallocTuned);
