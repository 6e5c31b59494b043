namespace Unified.Lightning;

/// <summary>What <see cref="Tuner.ScaleBatchSize"/> found: the batch size to use and every trial it ran.</summary>
/// <param name="BatchSize">The largest batch size that fitted (after the margin in binary-search mode).</param>
/// <param name="Trials">The trials in the order they ran.</param>
public sealed record BatchSizeScalingResult(int BatchSize, IReadOnlyList<BatchSizeTrial> Trials);
