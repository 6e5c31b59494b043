namespace Unified.Cli.Bench;

/// <summary>One epoch's median seconds through each front-end over the hand-written loop's, same process, interleaved.</summary>
public sealed record FrontEndRatios(double LightningRatio, double IgniteRatio, double RawSeconds, double LightningSeconds, double IgniteSeconds, int Steps);
