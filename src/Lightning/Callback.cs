using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Lightning;

/// <summary>
/// Hooks into a <see cref="Trainer"/>'s fit, as Lightning's <c>Callback</c>. Callbacks observe the loop's progress
/// and the module; they do not reach into the trainer.
/// </summary>
public abstract class Callback
{
    /// <summary>Called once before the first epoch.</summary>
    public virtual void OnFitStart(TrainerProgress progress, ITrainingModule module) { }

    /// <summary>Called when a training epoch starts.</summary>
    public virtual void OnTrainEpochStart(TrainerProgress progress, ITrainingModule module) { }

    /// <summary>Called after every training batch with its detached loss (reading it with <c>.item()</c> syncs the device).</summary>
    public virtual void OnTrainBatchEnd(TrainerProgress progress, ITrainingModule module, Tensor loss, int batchSize) { }

    /// <summary>Called after the epoch's training and validation, with the epoch's logged means.</summary>
    public virtual void OnTrainEpochEnd(TrainerProgress progress, ITrainingModule module, EpochResult result) { }

    /// <summary>
    /// Called when the fit fails or is cancelled, before <see cref="OnFitEnd"/> (Lightning's <c>on_exception</c>). On
    /// cancellation the state is at a step boundary, so a checkpoint saved here resumes exactly.
    /// </summary>
    public virtual void OnException(TrainerProgress progress, ITrainingModule module, Exception exception) { }

    /// <summary>
    /// Names this callback's state in checkpoints when it implements <see cref="Core.State.IStateful"/> (Lightning's
    /// <c>state_key</c>); two stateful callbacks of one type need different keys.
    /// </summary>
    public virtual string StateKey => GetType().Name;

    /// <summary>Called once when fitting ends, also when it fails.</summary>
    public virtual void OnFitEnd(TrainerProgress progress, ITrainingModule module) { }
}
