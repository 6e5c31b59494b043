using Unified.Adapters;
using Unified.Core.Logging;
using Unified.Core.Training;

namespace Unified.Hosting;

/// <summary>The one <see cref="ITrainingJobStatus"/> of a host; the job writes it, anyone reads it.</summary>
internal sealed class TrainingJobStatus : ITrainingJobStatus
{
    readonly Lock gate = new();
    readonly TaskCompletionSource finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    IReadOnlyDictionary<string, double> lastMetrics = new Dictionary<string, double>();
    volatile TrainingJobState state;
    long batches;
    int epoch;

    public TrainingJobState State => state;
    public string? Framework { get; private set; }
    public int Epoch => Volatile.Read(ref epoch);
    public long Batches => Interlocked.Read(ref batches);
    public IReadOnlyDictionary<string, double> LastMetrics { get { lock (gate) return lastMetrics; } }
    public string? Checkpoint { get; private set; }
    public string? WeightsSha256 { get; private set; }
    public Exception? Error { get; private set; }
    public Task Finished => finished.Task;

    public void Started(string framework, string? checkpoint) => (Framework, Checkpoint, state) = (framework, checkpoint, TrainingJobState.Running);

    public void Stopping()
    {
        if (state == TrainingJobState.Running) state = TrainingJobState.Stopping;
    }

    public void Step(StepReport report)
    {
        Volatile.Write(ref epoch, report.Epoch);
        Interlocked.Increment(ref batches);
    }

    public void EpochCompleted(EpochResult result)
    {
        lock (gate) lastMetrics = result.Metrics;
    }

    public void End(TrainingJobState outcome, string? checkpoint, string? weightsSha256 = null, Exception? error = null)
    {
        (Checkpoint, WeightsSha256, Error, state) = (checkpoint ?? Checkpoint, weightsSha256, error, outcome);
        finished.TrySetResult();
    }
}
