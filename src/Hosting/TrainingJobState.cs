namespace Unified.Hosting;

/// <summary>Where a hosted training job is.</summary>
public enum TrainingJobState
{
    /// <summary>Not started yet.</summary>
    Pending,

    /// <summary>Training.</summary>
    Running,

    /// <summary>The host is stopping; the job stops at the next step boundary and saves <c>last.ckpt</c>.</summary>
    Stopping,

    /// <summary>Trained to the configured end.</summary>
    Completed,

    /// <summary>Stopped by the host before the end; <see cref="ITrainingJobStatus.Checkpoint"/> resumes it.</summary>
    Cancelled,

    /// <summary>Ended by an error (<see cref="ITrainingJobStatus.Error"/>).</summary>
    Failed,
}
