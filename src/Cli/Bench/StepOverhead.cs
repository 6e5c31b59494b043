namespace Unified.Cli.Bench;

/// <summary>Microseconds each front-end adds to a step of a tiny model (its epoch minus the hand-written loop's, per step).</summary>
public sealed record StepOverhead(double Lightning, double Ignite, double RawStepUs, int Steps);
