namespace Unified.Ignite;

/// <summary>
/// When an attached metric resets, updates and is computed, as Ignite's <c>EpochWise</c>, <c>RunWise</c>,
/// <c>BatchWise</c>, <c>RunningBatchWise</c> and <c>RunningEpochWise</c> usages (ignite/metrics/metric.py).
/// </summary>
public enum MetricUsage
{
    /// <summary>Reset at every epoch start, updated every iteration, computed at every epoch end (Ignite's default).</summary>
    Epoch,

    /// <summary>Reset when the run starts, computed when it completes (what evaluators need).</summary>
    Run,

    /// <summary>Reset at every iteration start, computed after every iteration: the batch's own value.</summary>
    Batch,

    /// <summary>Reset when the run starts, computed after every iteration: a running value (e.g. <c>RunningAverage</c> of the loss).</summary>
    RunningBatch,

    /// <summary>Reset when the run starts, computed at every epoch end: a value over all batches so far.</summary>
    RunningEpoch,
}
