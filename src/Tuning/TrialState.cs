namespace Unified.Tuning;

/// <summary>Where a trial stands (Optuna's <c>TrialState</c>).</summary>
public enum TrialState
{
    /// <summary>Being evaluated by a worker.</summary>
    Running,

    /// <summary>Finished with a value.</summary>
    Complete,

    /// <summary>Stopped early by the pruner; its value is its last reported intermediate value.</summary>
    Pruned,

    /// <summary>The objective threw, returned NaN, or its worker stopped sending heartbeats.</summary>
    Fail,

    /// <summary>Enqueued with fixed parameters, waiting for a worker (<see cref="Study.EnqueueTrial"/>).</summary>
    Waiting,
}
