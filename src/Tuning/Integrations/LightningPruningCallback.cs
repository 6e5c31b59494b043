using Unified.Core.Training;
using Unified.Lightning;

namespace Unified.Tuning.Integrations;

/// <summary>
/// Reports a monitored metric to the trial after every epoch and stops a pruned trial (Optuna's
/// <c>PyTorchLightningPruningCallback</c>): it throws <see cref="TrialPrunedException"/> out of
/// <see cref="Trainer.Fit(ITrainingModule, Core.Data.IDataModule, string?, CancellationToken)"/>, which
/// <see cref="Study.Optimize"/> records as pruned.
/// </summary>
/// <example><code>
/// var options = new TrainerOptions { MaxEpochs = 10 };
/// options.Callbacks.Add(new LightningPruningCallback(trial, "val_accuracy"));
/// new Trainer(options).Fit(module, data);
/// </code></example>
public sealed class LightningPruningCallback(Trial trial, string monitor) : Callback
{
    /// <summary>The trial the values go to.</summary>
    public Trial Trial { get; } = trial ?? throw new ArgumentNullException(nameof(trial));

    /// <summary>The logged metric reported each epoch (e.g. <c>val_accuracy</c>).</summary>
    public string Monitor { get; } = string.IsNullOrEmpty(monitor) ? throw new ArgumentException("Name the metric to monitor, e.g. val_loss.", nameof(monitor)) : monitor;

    /// <inheritdoc />
    public override void OnTrainEpochEnd(TrainerView trainer, ITrainingModule module)
    {
        // After validation, as EarlyStopping reads the epoch's metrics. Optuna warns and skips a missing metric; a
        // misspelt name would silently turn pruning off, so it is an error here.
        var metrics = trainer.CallbackMetrics;
        int epoch = trainer.CurrentEpoch;
        if (!metrics.TryGetValue(Monitor, out double value))
            throw new InvalidOperationException($"The pruning callback monitors '{Monitor}', which epoch {epoch} did not log (logged: {string.Join(", ", metrics.Keys.Order(StringComparer.Ordinal))}): pass one of those.");
        Trial.Report(value, epoch);
        if (Trial.ShouldPrune()) throw new TrialPrunedException($"Trial {Trial.Number} was pruned at epoch {epoch} ({Monitor} = {value}).");
    }
}
