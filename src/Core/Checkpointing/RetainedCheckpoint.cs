namespace Unified.Core.Checkpointing;

/// <summary>A checkpoint file kept by <see cref="CheckpointRetention"/>.</summary>
/// <param name="Path">Its full path.</param>
/// <param name="Score">The monitored value it was saved with, or null when retention is by recency.</param>
/// <param name="Order">Save counter, higher = newer.</param>
public sealed record RetainedCheckpoint(string Path, double? Score, long Order);
