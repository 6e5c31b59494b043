using System.Globalization;
using Unified.Core.Data;
using Unified.Core.State;
using Unified.Core.Training;
using static TorchSharp.torch;

namespace Unified.Lightning;

/// <summary>
/// Keeps an exponential moving average of the network's weights, as Lightning 2.6's <c>EMAWeightAveraging</c>
/// (callbacks/weight_averaging.py, over <c>torch.optim.swa_utils.AveragedModel</c> with <c>get_ema_avg_fn</c>):
/// after every optimiser step that <see cref="ShouldUpdate"/> accepts, <c>average = decay·average + (1 − decay)·weights</c>
/// (the first update copies the weights). Validation runs on the averaged weights (swapped in and out), and when training
/// ends the network keeps them. Buffers are averaged too unless <c>useBuffers</c> is false (integer buffers are copied).
/// Checkpoints hold the average in the <c>model</c> part, so that evaluating or exporting a checkpoint uses it, and the
/// weights being trained under this callback's part (<c>current_model_state</c>, with the counters), so that a resumed
/// fit continues exactly (Lightning's <c>on_save_checkpoint</c>/<c>on_load_checkpoint</c>). Weights-only files hold the
/// weights being trained, as Lightning's skip the callbacks' hooks.
/// </summary>
/// <example><code>options.Callbacks.Add(new EMAWeightAveraging(decay: 0.999));</code></example>
public sealed class EMAWeightAveraging : Callback, IStateful, IDisposable
{
    readonly double decay;
    readonly bool useBuffers;
    List<Tensor>? average;
    ITrainingModule? trained;
    long averaged, latestUpdateStep;
    int latestUpdateEpoch = -1;

    /// <summary>Creates the callback (Lightning's <c>EMAWeightAveraging(decay, update_every_n_steps, update_starting_at_step, update_starting_at_epoch, use_buffers)</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="decay"/> is outside (0, 1), or a count is negative.</exception>
    public EMAWeightAveraging(double decay = 0.999, int updateEveryNSteps = 1, long? updateStartingAtStep = null, int? updateStartingAtEpoch = null, bool useBuffers = true)
    {
        if (!(decay > 0 && decay < 1)) throw new ArgumentOutOfRangeException(nameof(decay), decay, "EMA decay must lie strictly between 0 and 1 (e.g. 0.999).");
        if (updateEveryNSteps < 0) throw new ArgumentOutOfRangeException(nameof(updateEveryNSteps), updateEveryNSteps, "updateEveryNSteps must be 0 (never by steps) or positive.");
        if (updateStartingAtStep is < 0) throw new ArgumentOutOfRangeException(nameof(updateStartingAtStep), updateStartingAtStep, "updateStartingAtStep must be 0 or more (or null).");
        if (updateStartingAtEpoch is < 0) throw new ArgumentOutOfRangeException(nameof(updateStartingAtEpoch), updateStartingAtEpoch, "updateStartingAtEpoch must be 0 or more (or null).");
        (this.decay, this.useBuffers, UpdateEveryNSteps, UpdateStartingAtStep, UpdateStartingAtEpoch) = (decay, useBuffers, updateEveryNSteps, updateStartingAtStep, updateStartingAtEpoch);
    }

    /// <summary>Update every this many optimiser steps (0: not by steps).</summary>
    public int UpdateEveryNSteps { get; }

    /// <summary>First 0-based optimiser step that updates the average; null: from the first.</summary>
    public long? UpdateStartingAtStep { get; }

    /// <summary>First 0-based epoch after which the average is also updated at the epoch's end; null: never at epoch ends.</summary>
    public int? UpdateStartingAtEpoch { get; }

    /// <summary>Updates folded into the average so far (<c>AveragedModel.n_averaged</c>).</summary>
    public long UpdatesAveraged => averaged;

    /// <summary>
    /// Whether to update after 0-based optimiser step <paramref name="stepIndex"/> or epoch <paramref name="epochIndex"/>
    /// (one of them is given), as Lightning's <c>EMAWeightAveraging.should_update</c>.
    /// </summary>
    public bool ShouldUpdate(long? stepIndex = null, int? epochIndex = null)
    {
        if (stepIndex is long step && (UpdateStartingAtStep is null || step >= UpdateStartingAtStep) && UpdateEveryNSteps > 0 && step % UpdateEveryNSteps == 0)
            return true;
        return epochIndex is int epoch && UpdateStartingAtEpoch is int from && epoch >= from;
    }

    /// <inheritdoc />
    // Every fit averages afresh, as Lightning's setup builds a new AveragedModel; a resumed fit then loads the saved one.
    public override void Setup(TrainerView trainer, ITrainingModule module, TrainerStage stage)
    {
        if (stage != TrainerStage.Fit) return;
        Dispose();
        (averaged, latestUpdateStep, latestUpdateEpoch) = (0, 0, -1);
    }

    // Lightning's setup(stage="fit") deep-copies the module into an AveragedModel; here at fit start, once the network is on
    // its device (and after a resumed fit restored the saved average).
    /// <inheritdoc />
    public override void OnFitStart(TrainerView trainer, ITrainingModule module)
    {
        var live = Tensors(module);
        if (average is not null)
        {
            if (average.Count != live.Count)
                throw new InvalidDataException($"The checkpoint's EMA average has {average.Count} tensors, the network {live.Count}; resume with the same model.");
            for (int i = 0; i < live.Count; i++) Replace(i, average[i].to(live[i].dtype, live[i].device));
            return;
        }
        average = live.Select(t => t.detach().clone().DetachFromDisposeScope()).ToList();
    }

    /// <inheritdoc />
    public override void OnTrainBatchEnd(TrainerView trainer, ITrainingModule module, Tensor loss, Batch batch, int batchIndex)
    {
        if (trainer.GlobalStep > latestUpdateStep && ShouldUpdate(stepIndex: trainer.GlobalStep - 1))
        {
            Update(module);
            latestUpdateStep = trainer.GlobalStep;
        }
    }

    /// <inheritdoc />
    public override void OnTrainEpochEnd(TrainerView trainer, ITrainingModule module)
    {
        if (trainer.CurrentEpoch > latestUpdateEpoch && ShouldUpdate(epochIndex: trainer.CurrentEpoch))
        {
            Update(module);
            latestUpdateEpoch = trainer.CurrentEpoch;
        }
    }

    /// <inheritdoc />
    public override void OnValidationEpochStart(TrainerView trainer, ITrainingModule module) => Swap(trainer, module);

    /// <inheritdoc />
    public override void OnValidationEpochEnd(TrainerView trainer, ITrainingModule module) => Swap(trainer, module);

    /// <inheritdoc />
    public override void OnTrainEnd(TrainerView trainer, ITrainingModule module)
    {
        if (average is null) return;
        using var noGrad = no_grad();
        var live = Tensors(module);
        for (int i = 0; i < live.Count; i++) live[i].copy_(average[i]);
    }

    // Only inside a fit: Validate/Test outside one run on the weights they were given, as Lightning (no AveragedModel then).
    void Swap(TrainerView trainer, ITrainingModule module)
    {
        if (average is null || trainer.Stage != TrainerStage.Fit) return;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var live = Tensors(module);
        for (int i = 0; i < live.Count; i++)
        {
            var saved = live[i].clone();
            live[i].copy_(average[i]);
            average[i].copy_(saved);
        }
    }

    void Update(ITrainingModule module)
    {
        using var noGrad = no_grad();
        var live = Tensors(module);
        for (int i = 0; i < live.Count; i++)
        {
            // AveragedModel copies on its first update; ema·decay + (1 − decay)·current after (get_ema_avg_fn).
            if (averaged == 0 || !live[i].is_floating_point()) average![i].copy_(live[i]);
            else average![i].mul_(decay).add_(live[i], alpha: 1 - decay);
        }
        averaged++;
    }

    List<Tensor> Tensors(ITrainingModule module)
    {
        var tensors = module.Network.parameters().Select(p => (Tensor)p).ToList();
        if (useBuffers) tensors.AddRange(module.Network.buffers());
        return tensors;
    }

    void Replace(int index, Tensor value)
    {
        var moved = value.DetachFromDisposeScope();
        if (!ReferenceEquals(moved, average![index])) average[index].Dispose();
        average[index] = moved;
    }

    const string CurrentPrefix = "current_model_state.";

    /// <inheritdoc />
    public StateDict StateDict()
    {
        var state = new StateDict();
        state.Values["latest_update_step"] = latestUpdateStep;
        state.Values["latest_update_epoch"] = latestUpdateEpoch;
        state.Values["n_averaged"] = averaged;
        if (average is not null && trained is not null)
            foreach (var (name, tensor) in trained.Network.state_dict()) state.Tensors[CurrentPrefix + name] = tensor;
        return state;
    }

    /// <inheritdoc />
    // The model part, restored first, put the average into the network: it becomes the average again, and the network
    // gets the weights being trained. A checkpoint written without this callback starts the average from its weights.
    public void LoadStateDict(StateDict state)
    {
        latestUpdateStep = state.Value<long>("latest_update_step");
        latestUpdateEpoch = state.Value<int>("latest_update_epoch");
        averaged = state.Value<long>("n_averaged");
        Dispose();
        var current = state.Tensors.Where(t => t.Key.StartsWith(CurrentPrefix, StringComparison.Ordinal)).ToDictionary(t => t.Key[CurrentPrefix.Length..], t => t.Value);
        if (current.Count == 0 || trained is null) return;
        average = Tensors(trained).Select(t => t.detach().clone().DetachFromDisposeScope()).ToList();
        ModuleState.Load(trained.Network, current, strict: true);
    }

    /// <summary>The model part of <paramref name="module"/>'s checkpoints, holding the average once there is one.</summary>
    internal IStateful ModelPart(IStateful model, ITrainingModule module)
    {
        trained = module;
        return new AveragedModelPart(this, model);
    }

    sealed class AveragedModelPart(EMAWeightAveraging owner, IStateful model) : IStateful
    {
        public StateDict StateDict()
        {
            var live = model.StateDict();
            if (owner.average is not { } average || owner.trained is not { } module) return live;
            var names = module.Network.named_parameters().Select(p => p.name).ToList();
            if (owner.useBuffers) names.AddRange(module.Network.named_buffers().Select(b => b.name));
            var averaged = new StateDict();
            foreach (var (name, tensor) in live.Tensors)
            {
                int index = names.IndexOf(name);
                averaged.Tensors[name] = index >= 0 ? average[index] : tensor;
            }
            return averaged;
        }

        public void LoadStateDict(StateDict state) => model.LoadStateDict(state);
    }

    /// <summary>Frees the averaged weights.</summary>
    public void Dispose()
    {
        if (average is null) return;
        foreach (var tensor in average) tensor.Dispose();
        average = null;
    }
}
