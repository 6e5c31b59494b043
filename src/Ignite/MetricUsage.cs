namespace Unified.Ignite;

/// <summary>Over which span an attached metric accumulates, as Ignite's <c>EpochWise</c> / <c>RunWise</c> usages.</summary>
public enum MetricUsage
{
    /// <summary>Reset at every epoch start, computed at every epoch end (Ignite's default).</summary>
    Epoch,

    /// <summary>Reset when the run starts, computed when it completes (what evaluators need).</summary>
    Run,
}
