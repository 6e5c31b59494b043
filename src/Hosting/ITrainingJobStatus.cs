namespace Unified.Hosting;

/// <summary>The hosted training job's progress and outcome, readable by the host at any time (a singleton).</summary>
public interface ITrainingJobStatus
{
    /// <summary>Where the job is.</summary>
    TrainingJobState State { get; }

    /// <summary>The framework the job trains with, once it started.</summary>
    string? Framework { get; }

    /// <summary>The 0-based epoch of the last training step.</summary>
    int Epoch { get; }

    /// <summary>Training steps (batches) done since the job started, resumed steps excluded.</summary>
    long Batches { get; }

    /// <summary>The last completed epoch's metrics (validation included); empty before the first.</summary>
    IReadOnlyDictionary<string, double> LastMetrics { get; }

    /// <summary>The checkpoint a restart resumes from (<c>last.ckpt</c>), once one was written.</summary>
    string? Checkpoint { get; }

    /// <summary>The SHA-256 of the final weights (as <c>unified fit</c> prints), once the job completed.</summary>
    string? WeightsSha256 { get; }

    /// <summary>What ended a failed job.</summary>
    Exception? Error { get; }

    /// <summary>Completes when the job ends, whatever its outcome.</summary>
    Task Finished { get; }
}
