using Unified.Core.Metrics;
using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Lightning;

// Lightning's self.log / self.log_dict (core/module.py) with its defaults (logger_connector/fx_validator.py): inside a
// training batch (training_step, on_train_batch_*, the backward and optimiser hooks) per step only, elsewhere
// (validation and test steps, epoch hooks) per epoch only.
public abstract partial class LightningModule
{
    // Set by the loops around each batch: cheaper than asking which hook is running.
    internal bool InTrainingBatch { get; set; }

    internal bool InEvaluationBatch { get; set; }

    internal int CurrentBatchSize { get; set; } = 1;

    /// <summary>
    /// Logs a scalar as Lightning's <c>self.log</c>: <paramref name="onStep"/> keeps the latest value (read after each
    /// training batch), <paramref name="onEpoch"/> reduces the epoch's values with <paramref name="reduce"/> (a mean
    /// weighted by <paramref name="batchSize"/>, by default the current batch's size); logged both ways the value is
    /// also named <c>NAME_step</c> and <c>NAME_epoch</c>. Null <paramref name="onStep"/>/<paramref name="onEpoch"/>
    /// take Lightning's defaults: per step inside a training batch, per epoch elsewhere. Logging costs no host sync.
    /// </summary>
    /// <example><code>Log("train_loss", loss, onEpoch: true, progressBar: true);</code></example>
    /// <exception cref="ArgumentException">Not a scalar, or the name was logged with other options this epoch.</exception>
    protected void Log(string name, Tensor value, int? batchSize = null, bool? onStep = null, bool? onEpoch = null,
        bool progressBar = false, bool logger = true, Reduction reduce = Reduction.Mean, bool syncDist = false) =>
        Logged.Add(name, value, batchSize ?? CurrentBatchSize, Options(onStep, onEpoch, progressBar, logger, reduce, syncDist));

    /// <summary>Logs a number, as <see cref="Log(string, Tensor, int?, bool?, bool?, bool, bool, Reduction, bool)"/>.</summary>
    protected void Log(string name, double value, int? batchSize = null, bool? onStep = null, bool? onEpoch = null,
        bool progressBar = false, bool logger = true, Reduction reduce = Reduction.Mean, bool syncDist = false)
    {
        using var scalar = tensor(value, ScalarType.Float64);
        Log(name, scalar, batchSize, onStep, onEpoch, progressBar, logger, reduce, syncDist);
    }

    /// <summary>
    /// Logs a Core <see cref="Metric"/> that the module updates (Lightning's <c>self.log(name, metric)</c>, with the same
    /// defaults as a tensor): per epoch it is computed at the epoch's end (synced over ranks with
    /// <paramref name="syncDist"/>) and reset with the epoch; per step the value is the batch value of its last
    /// <see cref="Metric.Forward"/> (nothing when it was only updated).
    /// </summary>
    /// <example><code>f1.Update(logits, batch.Target); Log("val_f1", f1);
    /// accuracy.Forward(logits, batch.Target); Log("train_acc", accuracy, onStep: true, onEpoch: true);</code></example>
    protected void Log(string name, Metric metric, bool? onStep = null, bool? onEpoch = null, bool progressBar = false, bool logger = true, bool syncDist = false) =>
        Logged.Add(name, metric, Options(onStep, onEpoch, progressBar, logger, Reduction.Mean, syncDist));

    /// <summary>Logs every value of <paramref name="values"/> with the same options (Lightning's <c>self.log_dict</c>).</summary>
    protected void LogDict(IReadOnlyDictionary<string, Tensor> values, int? batchSize = null, bool? onStep = null, bool? onEpoch = null,
        bool progressBar = false, bool logger = true, Reduction reduce = Reduction.Mean, bool syncDist = false)
    {
        ArgumentNullException.ThrowIfNull(values);
        foreach (var (name, value) in values) Log(name, value, batchSize, onStep, onEpoch, progressBar, logger, reduce, syncDist);
    }

    LogOptions Options(bool? onStep, bool? onEpoch, bool progressBar, bool logger, Reduction reduce, bool syncDist)
    {
        // Lightning refuses on_step inside hooks that run once per epoch or evaluation (fx_validator.py allowed_on_step).
        if (onStep == true && !InTrainingBatch && !InEvaluationBatch && Trainer is not null)
            throw new ArgumentException("Log(onStep: true) is only allowed in a training, validation or test batch (a step or a batch hook); in epoch hooks values are per epoch.", nameof(onStep));
        return new LogOptions
        {
            OnStep = onStep ?? InTrainingBatch,
            OnEpoch = onEpoch ?? !InTrainingBatch,
            ProgressBar = progressBar,
            Logger = logger,
            Reduce = reduce,
            SyncDist = syncDist,
        };
    }
}
