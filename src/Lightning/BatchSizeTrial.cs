namespace Unified.Lightning;

/// <summary>One trial of <see cref="Tuner.ScaleBatchSize"/>.</summary>
/// <param name="BatchSize">The batch size tried.</param>
/// <param name="Succeeded">Whether it ran within the device's memory and the budget.</param>
/// <param name="SecondsPerStep">Median seconds per training step (NaN when no step finished).</param>
/// <param name="MemoryGrowthMb">How far the process's resident memory rose above its level when the search started, in MB.</param>
/// <param name="Reason">Why it failed, or null.</param>
public sealed record BatchSizeTrial(int BatchSize, bool Succeeded, double SecondsPerStep, double MemoryGrowthMb, string? Reason);
