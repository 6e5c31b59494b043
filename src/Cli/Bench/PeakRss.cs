namespace Unified.Cli.Bench;

/// <summary>Peak resident memory (VmHWM) of a child process that trains the digits MLP through each loop.</summary>
public sealed record PeakRss(double RawMb, double LightningMb, double IgniteMb);
