using Unified.Ignite;

namespace Unified.Tuning.Integrations;

/// <summary>
/// Reports an evaluator's metric to the trial each time the evaluator completes, at the trainer's epoch, and stops a
/// pruned trial (Optuna's <c>PyTorchIgnitePruningHandler</c>): it throws <see cref="TrialPrunedException"/> out of the
/// evaluator's run, and so out of the trainer's, which <see cref="Study.Optimize"/> records as pruned.
/// </summary>
/// <example><code>
/// var pruning = new IgnitePruningHandler(trial, "val_accuracy", trainer);
/// pruning.Attach(evaluator);
/// trainer.On(Events.EpochCompleted, _ => evaluator.Run(data.Validation!));
/// trainer.Run(data.Train, maxEpochs: 10);
/// </code></example>
public sealed class IgnitePruningHandler(Trial trial, string metric, Engine trainer)
{
    /// <summary>The trial the values go to.</summary>
    public Trial Trial { get; } = trial ?? throw new ArgumentNullException(nameof(trial));

    /// <summary>The evaluator's metric reported (e.g. <c>val_accuracy</c>).</summary>
    public string Metric { get; } = string.IsNullOrEmpty(metric) ? throw new ArgumentException("Name the evaluator's metric, e.g. accuracy.", nameof(metric)) : metric;

    /// <summary>The training engine, whose epoch is the reported step.</summary>
    public Engine Trainer { get; } = trainer ?? throw new ArgumentNullException(nameof(trainer));

    /// <summary>Runs the handler when <paramref name="evaluator"/> completes (Ignite's <c>Events.COMPLETED</c>).</summary>
    public RemovableHandle Attach(Engine evaluator)
    {
        ArgumentNullException.ThrowIfNull(evaluator);
        return evaluator.On(Events.Completed, Handle);
    }

    /// <summary>Reports the evaluator's metric at the trainer's epoch; throws when the trial should be pruned.</summary>
    public void Handle(Engine evaluator)
    {
        ArgumentNullException.ThrowIfNull(evaluator);
        if (!evaluator.State.ScalarMetrics().TryGetValue(Metric, out double value))
            throw new InvalidOperationException($"The pruning handler reports '{Metric}', which the evaluator did not compute (it has: {string.Join(", ", evaluator.State.Metrics.Keys.Order(StringComparer.Ordinal))}): pass one of those.");
        int epoch = Trainer.State.Epoch;
        Trial.Report(value, epoch);
        if (Trial.ShouldPrune()) throw new TrialPrunedException($"Trial {Trial.Number} was pruned at epoch {epoch} ({Metric} = {value}).");
    }
}
