using Unified.Core.Data;
using Unified.Core.State;
using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Lightning;

/// <summary>
/// Hooks into a <see cref="Trainer"/>'s fit, validate, test and predict, as Lightning 2.x's <c>Callback</c>, with its
/// hook names and order: a callback's hook runs before the module's. Callbacks see a <see cref="TrainerView"/>, never
/// the trainer. Only hooks a callback overrides are called: the others cost nothing. A callback that implements
/// <see cref="IStateful"/> is saved in checkpoints under <see cref="StateKey"/>.
/// </summary>
public abstract class Callback
{
    /// <summary>
    /// Names this callback's state in checkpoints when it implements <see cref="IStateful"/> (Lightning's
    /// <c>state_key</c>); two stateful callbacks of one type need different keys.
    /// </summary>
    public virtual string StateKey => GetType().Name;

    // Lightning runs monitoring callbacks (EarlyStopping, checkpoints) after the module's on_train_epoch_end.
    internal virtual bool Monitors => false;

    /// <summary>Called when an entry point begins, before the module's <c>Setup</c> (Lightning's <c>setup</c>).</summary>
    public virtual void Setup(TrainerView trainer, ITrainingModule module, TrainerStage stage) { }

    /// <summary>Called when an entry point ends; after a failure only <see cref="OnException"/> runs (Lightning's <c>teardown</c>).</summary>
    public virtual void Teardown(TrainerView trainer, ITrainingModule module, TrainerStage stage) { }

    /// <summary>Called once when fitting starts.</summary>
    public virtual void OnFitStart(TrainerView trainer, ITrainingModule module) { }

    /// <summary>Called once when fitting ends successfully (a failure calls <see cref="OnException"/> instead).</summary>
    public virtual void OnFitEnd(TrainerView trainer, ITrainingModule module) { }

    /// <summary>Called before the sanity check's validation batches.</summary>
    public virtual void OnSanityCheckStart(TrainerView trainer, ITrainingModule module) { }

    /// <summary>Called after the sanity check's validation batches.</summary>
    public virtual void OnSanityCheckEnd(TrainerView trainer, ITrainingModule module) { }

    /// <summary>Called when training starts (after the sanity check).</summary>
    public virtual void OnTrainStart(TrainerView trainer, ITrainingModule module) { }

    /// <summary>Called when training ends.</summary>
    public virtual void OnTrainEnd(TrainerView trainer, ITrainingModule module) { }

    /// <summary>Called when a training epoch starts (not when a fit resumes inside it).</summary>
    public virtual void OnTrainEpochStart(TrainerView trainer, ITrainingModule module) { }

    /// <summary>Called after the epoch's training and validation; the epoch's means are in <see cref="TrainerView.CallbackMetrics"/>.</summary>
    public virtual void OnTrainEpochEnd(TrainerView trainer, ITrainingModule module) { }

    /// <summary>Called before a training batch; the module's hook returning -1 ends the epoch.</summary>
    public virtual void OnTrainBatchStart(TrainerView trainer, ITrainingModule module, Batch batch, int batchIndex) { }

    /// <summary>Called after every training batch with its detached loss (reading it with <c>.item()</c> syncs the device).</summary>
    public virtual void OnTrainBatchEnd(TrainerView trainer, ITrainingModule module, Tensor loss, Batch batch, int batchIndex) { }

    /// <summary>Called when a validation run starts (the sanity check's and every epoch's).</summary>
    public virtual void OnValidationStart(TrainerView trainer, ITrainingModule module) { }

    /// <summary>Called when a validation run ends.</summary>
    public virtual void OnValidationEnd(TrainerView trainer, ITrainingModule module) { }

    /// <summary>Called before a validation run's first batch.</summary>
    public virtual void OnValidationEpochStart(TrainerView trainer, ITrainingModule module) { }

    /// <summary>Called after a validation run's last batch; its means are in <see cref="TrainerView.CallbackMetrics"/>.</summary>
    public virtual void OnValidationEpochEnd(TrainerView trainer, ITrainingModule module) { }

    /// <summary>Called before a validation batch.</summary>
    public virtual void OnValidationBatchStart(TrainerView trainer, ITrainingModule module, Batch batch, int batchIndex) { }

    /// <summary>Called after a validation batch.</summary>
    public virtual void OnValidationBatchEnd(TrainerView trainer, ITrainingModule module, Batch batch, int batchIndex) { }

    /// <summary>Called when a test run starts.</summary>
    public virtual void OnTestStart(TrainerView trainer, ITrainingModule module) { }

    /// <summary>Called when a test run ends.</summary>
    public virtual void OnTestEnd(TrainerView trainer, ITrainingModule module) { }

    /// <summary>Called before a test run's first batch.</summary>
    public virtual void OnTestEpochStart(TrainerView trainer, ITrainingModule module) { }

    /// <summary>Called after a test run's last batch; its means are in <see cref="TrainerView.CallbackMetrics"/>.</summary>
    public virtual void OnTestEpochEnd(TrainerView trainer, ITrainingModule module) { }

    /// <summary>Called before a test batch.</summary>
    public virtual void OnTestBatchStart(TrainerView trainer, ITrainingModule module, Batch batch, int batchIndex) { }

    /// <summary>Called after a test batch.</summary>
    public virtual void OnTestBatchEnd(TrainerView trainer, ITrainingModule module, Batch batch, int batchIndex) { }

    /// <summary>Called when a predict run starts.</summary>
    public virtual void OnPredictStart(TrainerView trainer, ITrainingModule module) { }

    /// <summary>Called when a predict run ends.</summary>
    public virtual void OnPredictEnd(TrainerView trainer, ITrainingModule module) { }

    /// <summary>Called before a predict run's first batch.</summary>
    public virtual void OnPredictEpochStart(TrainerView trainer, ITrainingModule module) { }

    /// <summary>Called after a predict run's last batch.</summary>
    public virtual void OnPredictEpochEnd(TrainerView trainer, ITrainingModule module) { }

    /// <summary>Called before a predict batch.</summary>
    public virtual void OnPredictBatchStart(TrainerView trainer, ITrainingModule module, Batch batch, int batchIndex) { }

    /// <summary>Called after a predict batch with its prediction.</summary>
    public virtual void OnPredictBatchEnd(TrainerView trainer, ITrainingModule module, Tensor prediction, Batch batch, int batchIndex) { }

    /// <summary>Called before every backward with the loss it differentiates (divided by the accumulation count).</summary>
    public virtual void OnBeforeBackward(TrainerView trainer, ITrainingModule module, Tensor loss) { }

    /// <summary>Called after every backward, with the gradients on the network's parameters.</summary>
    public virtual void OnAfterBackward(TrainerView trainer, ITrainingModule module) { }

    /// <summary>Called before every optimiser step that happens, with gradients accumulated, synchronised and unscaled, not clipped.</summary>
    public virtual void OnBeforeOptimizerStep(TrainerView trainer, ITrainingModule module, optim.Optimizer optimizer) { }

    /// <summary>Called before the optimiser's gradients are zeroed (at the start of every accumulation window).</summary>
    public virtual void OnBeforeZeroGrad(TrainerView trainer, ITrainingModule module, optim.Optimizer optimizer) { }

    /// <summary>Called when a checkpoint is saved, after the callbacks' states; values added to <paramref name="checkpoint"/> are saved with it.</summary>
    public virtual void OnSaveCheckpoint(TrainerView trainer, ITrainingModule module, StateDict checkpoint) { }

    /// <summary>Called when a fit resumes from a checkpoint, with what the save hooks added to it.</summary>
    public virtual void OnLoadCheckpoint(TrainerView trainer, ITrainingModule module, StateDict checkpoint) { }

    /// <summary>
    /// Called when an entry point fails or is cancelled, instead of <see cref="OnFitEnd"/> (Lightning's
    /// <c>on_exception</c>). On cancellation the state is at a step boundary, so a checkpoint saved here resumes exactly.
    /// </summary>
    public virtual void OnException(TrainerView trainer, ITrainingModule module, Exception exception) { }
}
