using static TorchSharp.torch;

namespace Unified.Core.Metrics;

/// <summary>
/// A metric over classification batches: checks each batch against its <see cref="ClassificationTask"/> and counts
/// out-of-range predictions and targets on the device, so that the next compute reports them.
/// </summary>
public abstract class ClassificationMetric : Metric
{
    readonly int predictionCheck, targetCheck;

    private protected ClassificationMetric(ClassificationTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        Task = task;
        predictionCheck = AddInputCheck(task.PredictionProblem);
        targetCheck = AddInputCheck(task.TargetProblem);
    }

    /// <summary>What is scored and how predictions are read.</summary>
    public ClassificationTask Task { get; }

    /// <summary>The number of per-class entries in the state: 1 (the positive class) for binary tasks, else C or L.</summary>
    private protected long ScoredClasses => Task.Kind == ClassificationKind.Binary ? 1 : Task.RequireClasses(Name);

    /// <summary>Checks a batch, counts its invalid values and returns it in label form.</summary>
    private protected ClassificationInput Prepare(Tensor predictions, Tensor targets)
    {
        var input = Task.Prepare(predictions, targets, Name);
        if (input.BadPredictions is not null) CountInvalid(predictionCheck, input.BadPredictions);
        CountInvalid(targetCheck, input.BadTargets);
        return input;
    }

    /// <summary>Counts invalid targets found outside <see cref="Prepare"/> (the top-k path).</summary>
    private protected void CountInvalidTargets(Tensor bad) => CountInvalid(targetCheck, bad);
}
