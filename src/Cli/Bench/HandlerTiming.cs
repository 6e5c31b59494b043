namespace Unified.Cli.Bench;

/// <summary>One handler on one event: calls per epoch and milliseconds per iteration (median over rounds).</summary>
public sealed record HandlerTiming(string Event, string Handler, long Calls, double MsPerIteration);
