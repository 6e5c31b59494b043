using Unified.Core.Data;
using Unified.Core.State;
using static TorchSharp.torch;

namespace Unified.Lightning;

// Lightning 2.x's ModelHooks, DataHooks and CheckpointHooks (core/hooks.py), called after the callbacks' hook of the same name.
public abstract partial class LightningModule
{
    /// <summary>
    /// Records the public properties of <paramref name="values"/> (e.g. the constructor's arguments as an anonymous
    /// object) as <c>Hyperparameters</c> (Lightning's <c>save_hyperparameters()</c>): saved in every
    /// checkpoint and written by the loggers (<c>hparams.yaml</c> of a <c>CsvLogger</c>).
    /// </summary>
    /// <example><code>public LitMlp(double lr, int hidden) : base(new DigitsMlp(hidden)) =&gt; SaveHyperparameters(new { lr, hidden });</code></example>
    protected void SaveHyperparameters(object values)
    {
        ArgumentNullException.ThrowIfNull(values);
        foreach (var property in values.GetType().GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance))
            Hyperparameters[property.Name] = property.GetValue(values);
    }

    /// <summary>Downloads or prepares data once per run, before <see cref="Setup"/> (Lightning's <c>prepare_data</c>).</summary>
    public virtual void PrepareData() { }

    /// <summary>Called when an entry point begins (Lightning's <c>setup</c>).</summary>
    public virtual void Setup(TrainerStage stage) { }

    /// <summary>Called when an entry point ends successfully (Lightning's <c>teardown</c>).</summary>
    public virtual void Teardown(TrainerStage stage) { }

    /// <summary>Builds layers late, before the optimisers are configured (Lightning's <c>configure_model</c>).</summary>
    public virtual void ConfigureModel() { }

    /// <summary>Callbacks this module needs; they replace the trainer's callbacks of the same type (Lightning's <c>configure_callbacks</c>).</summary>
    public virtual IEnumerable<Callback> ConfigureCallbacks() => [];

    /// <summary>Called once when fitting starts.</summary>
    public virtual void OnFitStart() { }

    /// <summary>Called once when fitting ends successfully.</summary>
    public virtual void OnFitEnd() { }

    /// <summary>Called when training starts (after the sanity check).</summary>
    public virtual void OnTrainStart() { }

    /// <summary>Called when training ends.</summary>
    public virtual void OnTrainEnd() { }

    /// <summary>Called when a training epoch starts (not when a fit resumes inside it).</summary>
    public virtual void OnTrainEpochStart() { }

    /// <summary>Called after the epoch's training and validation, before the monitoring callbacks (early stopping, checkpoints), so that what it logs can be monitored.</summary>
    public virtual void OnTrainEpochEnd() { }

    /// <summary>Called before a training batch; return -1 to end the epoch here (Lightning's <c>on_train_batch_start</c>).</summary>
    public virtual int OnTrainBatchStart(Batch batch, int batchIndex) => 0;

    /// <summary>Called after every training batch with its detached loss.</summary>
    public virtual void OnTrainBatchEnd(Tensor loss, Batch batch, int batchIndex) { }

    /// <summary>Called when a validation run starts.</summary>
    public virtual void OnValidationStart() { }

    /// <summary>Called when a validation run ends.</summary>
    public virtual void OnValidationEnd() { }

    /// <summary>Called before a validation run's first batch.</summary>
    public virtual void OnValidationEpochStart() { }

    /// <summary>Called after a validation run's last batch.</summary>
    public virtual void OnValidationEpochEnd() { }

    /// <summary>Called before a validation batch.</summary>
    public virtual void OnValidationBatchStart(Batch batch, int batchIndex) { }

    /// <summary>Called after a validation batch.</summary>
    public virtual void OnValidationBatchEnd(Batch batch, int batchIndex) { }

    /// <summary>Called when a test run starts.</summary>
    public virtual void OnTestStart() { }

    /// <summary>Called when a test run ends.</summary>
    public virtual void OnTestEnd() { }

    /// <summary>Called before a test run's first batch.</summary>
    public virtual void OnTestEpochStart() { }

    /// <summary>Called after a test run's last batch.</summary>
    public virtual void OnTestEpochEnd() { }

    /// <summary>Called before a test batch.</summary>
    public virtual void OnTestBatchStart(Batch batch, int batchIndex) { }

    /// <summary>Called after a test batch.</summary>
    public virtual void OnTestBatchEnd(Batch batch, int batchIndex) { }

    /// <summary>Called when a predict run starts.</summary>
    public virtual void OnPredictStart() { }

    /// <summary>Called when a predict run ends.</summary>
    public virtual void OnPredictEnd() { }

    /// <summary>Called before a predict run's first batch.</summary>
    public virtual void OnPredictEpochStart() { }

    /// <summary>Called after a predict run's last batch.</summary>
    public virtual void OnPredictEpochEnd() { }

    /// <summary>Called before a predict batch.</summary>
    public virtual void OnPredictBatchStart(Batch batch, int batchIndex) { }

    /// <summary>Called after a predict batch with its prediction.</summary>
    public virtual void OnPredictBatchEnd(Tensor prediction, Batch batch, int batchIndex) { }

    /// <summary>Called before every backward with the loss it differentiates (divided by the accumulation count).</summary>
    public virtual void OnBeforeBackward(Tensor loss) { }

    /// <summary>Called after every backward, with the gradients on the network's parameters.</summary>
    public virtual void OnAfterBackward() { }

    /// <summary>Called before every optimiser step that happens (gradients unscaled, not clipped), e.g. to log gradient norms.</summary>
    public virtual void OnBeforeOptimizerStep(optim.Optimizer optimizer) { }

    /// <summary>Called before the optimiser's gradients are zeroed.</summary>
    public virtual void OnBeforeZeroGrad(optim.Optimizer optimizer) { }

    /// <summary>Called when a checkpoint is saved, after the callbacks; values added to <paramref name="checkpoint"/> are saved with it.</summary>
    public virtual void OnSaveCheckpoint(StateDict checkpoint) { }

    /// <summary>Called when a fit resumes from a checkpoint, with what the save hooks added to it.</summary>
    public virtual void OnLoadCheckpoint(StateDict checkpoint) { }
}
